// Asio's and Asio SSL's compiled parts, built once for engine/net (the library is
// configured with BOOST_ASIO_SEPARATE_COMPILATION in engine/CMakeLists.txt).
#include <boost/asio/impl/src.hpp>
#include <boost/asio/ssl/impl/src.hpp>
