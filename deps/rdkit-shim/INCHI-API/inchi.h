/* Shim: Debian's RDKit is built without InChI support. cffiwrapper.cpp only needs
 * these three declarations; deps/rdkit-shim/inchi_stub.cpp returns empty strings,
 * so get_inchi()/get_inchikey_for_inchi() yield "" in chemvae. chemvae never uses InChI. */
#pragma once
#include <string>
namespace RDKit {
class ROMol;
struct ExtraInchiReturnValues {
    int returnCode;
    std::string messagePtr;
    std::string logPtr;
    std::string auxInfoPtr;
};
std::string MolToInchi(const ROMol &mol, ExtraInchiReturnValues &rv, const char *options = nullptr);
std::string MolBlockToInchi(const std::string &mol, ExtraInchiReturnValues &rv, bool fixedHs = true,
                            const char *options = nullptr);
std::string InchiToInchiKey(const std::string &inchi);
} // namespace RDKit
