// A store file that includes the hub's public header: tools/check_layers.sh must
// refuse it (tests/CMakeLists.txt, LayeringCheck.RefusesABackwardInclude).
#include "liaison/hub.h"
