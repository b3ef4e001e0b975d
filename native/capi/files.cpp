// The C API's safetensors functions (include/tensorfield.h) over native/io/safetensors.
#include "call.h"
#include "../io/safetensors.h"

using namespace tfc;

struct tf_safetensors {
  tf::io::SafetensorsFile file;
};

extern "C" {

TF_API tf_status tf_safetensors_save(const char* path, const char* const* names, const tf_tensor* const* tensors, int n,
                                     const char* const* meta_keys, const char* const* meta_values, int n_meta) {
  return call("tf_safetensors_save", [&] {
    need(path, "path");
    TF_CHECK(n >= 0 && n_meta >= 0, InvalidArgument, "n and n_meta must be >= 0");
    std::vector<tf::io::NamedTensor> list;
    if (n > 0) {
      need(names, "names");
      need(tensors, "tensors");
    }
    for (int i = 0; i < n; ++i) list.push_back({need(names[i], "names[i]"), tensor_arg(tensors[i], "tensors[i]")});
    tf::io::Metadata meta;
    if (meta_keys && n_meta > 0) need(meta_values, "meta_values");
    if (!meta_keys) TF_CHECK(n_meta == 0, InvalidArgument, "n_meta is ", n_meta, " but meta_keys is NULL");
    for (int i = 0; i < n_meta; ++i) meta.emplace_back(need(meta_keys[i], "meta_keys[i]"), need(meta_values[i], "meta_values[i]"));
    tf::io::save_safetensors(path, list, meta, meta_keys != nullptr);
  });
}

TF_API tf_status tf_safetensors_load(const char* path, tf_safetensors** out) {
  return call("tf_safetensors_load", [&] {
    need(out, "out");
    auto f = new tf_safetensors{tf::io::load_safetensors(need(path, "path"))};
    *out = f;
  });
}

TF_API void tf_safetensors_free(tf_safetensors* f) { delete f; }

TF_API tf_status tf_safetensors_count(const tf_safetensors* f, int* n) {
  return call("tf_safetensors_count", [&] { *need(n, "n") = int(need(f, "f")->file.tensors.size()); });
}

TF_API tf_status tf_safetensors_name(const tf_safetensors* f, int i, const char** name) {
  return call("tf_safetensors_name", [&] {
    need(name, "name");
    const auto& ts = need(f, "f")->file.tensors;
    TF_CHECK(i >= 0 && size_t(i) < ts.size(), IndexOutOfRange, "index ", i, " is out of range for ", ts.size(), " tensors");
    *name = ts[size_t(i)].name.c_str();
  });
}

TF_API tf_status tf_safetensors_get(const tf_safetensors* f, const char* name, tf_tensor** out) {
  return call("tf_safetensors_get", [&] {
    need(out, "out");
    need(name, "name");
    for (const auto& nt : need(f, "f")->file.tensors)
      if (nt.name == name) return give(out, nt.tensor);
    tf::fail(tf::ErrorCode::InvalidArgument, "the file has no tensor named '", name, "'");
  });
}

TF_API tf_status tf_safetensors_metadata(const tf_safetensors* f, const char* key, const char** value) {
  return call("tf_safetensors_metadata", [&] {
    need(value, "value");
    need(key, "key");
    *value = nullptr;
    for (const auto& [k, v] : need(f, "f")->file.metadata)
      if (k == key) *value = v.c_str();
  });
}

}  // extern "C"
