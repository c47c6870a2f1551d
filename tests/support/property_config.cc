// How many random cases every RapidCheck property in the test binary runs:
// 1,000 by default, LIAISON_PROPERTY_CASES=N for another number (a soak run uses
// 100000; tools/test.sh --sanitize uses 250). An explicit RC_PARAMS wins.
#include <cstdlib>
#include <string>

namespace {

const bool kConfigured = [] {
  if (std::getenv("RC_PARAMS") != nullptr) return false;
  const char* wanted = std::getenv("LIAISON_PROPERTY_CASES");
  const std::string cases = wanted ? wanted : "1000";
  setenv("RC_PARAMS", ("max_success=" + cases + " max_size=40").c_str(), 1);
  return true;
}();

}  // namespace
