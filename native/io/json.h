// A small JSON reader for file headers (safetensors): the whole grammar (RFC 8259), values kept as a tree, object
// members in file order with duplicates kept so the caller can refuse them. Numbers keep their text's value as a
// double and say whether the text was an integer. Errors throw TF_BAD_FILE with the byte offset.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace tf::json {

struct Value {
  enum Kind { Null, Bool, Number, String, Array, Object } kind = Null;
  bool boolean = false;
  double number = 0;
  bool integer = false;  // a number written without fraction or exponent
  std::string str;
  std::vector<Value> items;                            // Array
  std::vector<std::pair<std::string, Value>> members;  // Object, in order, duplicates kept
};

// Parses text (which must be valid UTF-8: checked) as one JSON value followed only by whitespace. `what` prefixes
// error messages. Nesting deeper than 64 is refused (a header never needs it).
Value parse(const std::string& text, const std::string& what);

// text as a JSON string literal (quotes and escapes).
std::string quote(const std::string& text);

}  // namespace tf::json
