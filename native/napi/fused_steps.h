#pragma once
#include <napi.h>
namespace tfn {
Napi::Value FusedStep(const Napi::CallbackInfo& info);
}
