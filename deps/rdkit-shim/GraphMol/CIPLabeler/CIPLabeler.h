/* Shim: Debian installs RDKit's CIPLabeler header as <CIPLabeler/CIPLabeler.h>;
 * cffiwrapper.cpp includes it under <GraphMol/CIPLabeler/...>. Forward it. */
#include <CIPLabeler/CIPLabeler.h>
