// Stands for the hub's public header in the layering check's refusal test.
#pragma once
