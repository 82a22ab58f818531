// GCC 13's libstdc++ initialises iostreams through std::ios_base_library_init()
// (GLIBCXX_3.4.32). TorchSharp's libLibTorchSharp.so was built with GCC 13 and calls it;
// Debian 12's libstdc++ (GCC 12) has no such function. This library supplies it, with the
// same effect: construct the iostream initialiser once.
#include <ios>

namespace std {
__attribute__((visibility("default"))) void ios_base_library_init() {
    static ios_base::Init init;
}
}
