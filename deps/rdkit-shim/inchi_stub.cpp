// Stub InChI API for building RDKit's C FFI against Debian's RDKit (no InChI).
#include <INCHI-API/inchi.h>
namespace RDKit {
std::string MolToInchi(const ROMol &, ExtraInchiReturnValues &rv, const char *) {
    rv.returnCode = -1;
    return "";
}
std::string MolBlockToInchi(const std::string &, ExtraInchiReturnValues &rv, bool, const char *) {
    rv.returnCode = -1;
    return "";
}
std::string InchiToInchiKey(const std::string &) {
    return "";
}
} // namespace RDKit
