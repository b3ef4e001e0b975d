// tf_op's table: each op's name, its input count, the attributes it reads and how it runs. Attributes are checked
// against the op's list before it runs, so a misspelt one is an error rather than a silently used default.
#pragma once
#include <functional>
#include <string>
#include <vector>
#include "../../include/tensorfield.h"
#include "../core/tensor.h"

namespace tfc {

struct OpEntry;

class Attrs {
 public:
  Attrs(const char* op, const OpEntry& e, const tf_attr* attrs, int n);
  double number(const char* name, double dflt) const;
  double number(const char* name) const;  // required
  std::vector<int64_t> ints(const char* name, std::vector<int64_t> dflt) const;
  bool has(const char* name) const { return find(name) != nullptr; }

 private:
  const tf_attr* find(const char* name) const;
  const char* op_;
  const tf_attr* attrs_;
  int n_;
};

struct OpEntry {
  std::string name;
  int min_inputs, max_inputs;
  std::vector<std::string> attrs;  // the names it reads
  std::function<tf::Tensor(const tf::TensorList& in, const Attrs& a)> run;
};

const OpEntry& find_op(const char* name);  // TF_INVALID_ARGUMENT naming the op when unknown
std::string op_names();                    // comma-separated

}  // namespace tfc
