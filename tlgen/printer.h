// Renders definitions back to canonical `.tl` text.
//
// The output is one definition per line, always with its id, in the form
// Telegram's own api.tl uses:
//
//   boolTrue#997275b5 = Bool;
//   invokeWithLayer#da9b0d0d {X:Type} layer:int query:!X = X;
//
// A schema prints its built-in lines first, then its definitions in order,
// with a `---functions---` (or `---types---`) line wherever the category
// changes, and `// LAYER N` at the end when the layer is known. Parsing the
// output with ParseTl() gives back equal definitions (see definition.h for
// what equality covers).
//
// Example:
//   std::string text = PrintTl(schema);
#ifndef MTCORE_TLGEN_PRINTER_H_
#define MTCORE_TLGEN_PRINTER_H_

#include <string>

#include "tlgen/definition.h"

namespace mtcore::tlgen {

// One definition as a `.tl` line, with ';' and without a newline.
std::string PrintDefinition(const Definition& definition);

// A whole schema as `.tl` text (ends with a newline).
std::string PrintTl(const Schema& schema);

}  // namespace mtcore::tlgen

#endif  // MTCORE_TLGEN_PRINTER_H_
