// Boost.Test entry point shared by the sluice test executables.
#define BOOST_TEST_MODULE sluice
#include <boost/test/unit_test.hpp>
