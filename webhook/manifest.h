// Reading manifests for `seiguard check`: files, directories (recursive;
// *.yaml, *.yml, *.json), or "-" for standard input, each read as
// `kubectl apply -f` reads it (k8s.io/apimachinery's YAMLOrJSONDecoder),
// whatever its name:
//   - a stream whose first non-blank character is '{' is a series of JSON
//     values; when one fails before a second was read, the rest is YAML;
//   - a YAML stream is cut at lines that start with "---" followed by blanks
//     or a comment ("---" followed by anything else is an error that ends the
//     file); each chunk is one document, converted by yaml_json.h;
//   - empty documents and null are skipped (an empty file has no objects).
// A document that fails is reported with its line and column, and the others
// are still checked.
#ifndef SEIGUARD_WEBHOOK_MANIFEST_H_
#define SEIGUARD_WEBHOOK_MANIFEST_H_

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "webhook/yaml_json.h"

namespace seiguard {

struct ManifestDocument {
  std::string file;   // as named on the command line ("<stdin>" for -)
  size_t index = 0;   // 0-based position of the document in its file
  size_t line = 1;    // 1-based line where the document starts
  bool yaml = true;
  std::string source;  // the document's own text, for locating findings
  std::string json;    // the document as JSON (for JSON input: empty, use source)
  size_t source_line = 1;    // line of the file where `source` begins
  size_t source_column = 1;  // and the column (a JSON value may start mid-line)
  std::vector<NodeMark> marks;  // YAML: where each JSON value came from

  const std::string& Json() const { return yaml ? json : source; }
};

struct ManifestError {
  std::string file;
  size_t line = 0;  // 0 when there is no position (unreadable file)
  size_t column = 0;
  std::string message;
};

struct ManifestSet {
  size_t files = 0;
  std::vector<ManifestDocument> documents;
  std::vector<ManifestError> errors;
};

// Largest file read; beyond it the file is refused with an error.
inline constexpr size_t kMaxManifestBytes = 256u << 20;

ManifestSet ReadManifests(const std::vector<std::string>& paths);

// Splits `text` into documents and converts them; used for files and stdin.
void ParseManifestText(const std::string& file, std::string_view text, ManifestSet* out);

// A JSON syntax error of `text`, with the line and column where it breaks.
ManifestError JsonErrorAt(const std::string& file, std::string_view text, const std::string& message);

// Where elements start in a document's text: for each path (unescaped JSON
// Pointer tokens), the 1-based line and column of its deepest element that
// exists. One pass over the text for all paths ({0, 0} when nothing matches).
struct TextPosition {
  size_t line = 0;
  size_t column = 0;
};
using TokenPath = std::vector<std::string>;
std::vector<TextPosition> Locate(const ManifestDocument& doc, const std::vector<TokenPath>& paths);

// "/a/b~1c/0" -> {"a", "b/c", "0"}
std::vector<std::string> PointerTokens(std::string_view pointer);

}  // namespace seiguard

#endif  // SEIGUARD_WEBHOOK_MANIFEST_H_
