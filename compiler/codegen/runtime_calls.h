// Calls of the runtime functions of nncc/runtime_functions.def. Their LLVM
// declarations are derived from the C prototypes there, so generated code
// and the runtime cannot disagree on a signature.
#pragma once
#include "nncc/kernel_abi.h"

#include <llvm/IR/DerivedTypes.h>
#include <llvm/IR/Module.h>
#include <type_traits>

namespace nncc::codegen {

namespace detail {

template <typename T> llvm::Type *llvm_type_of(llvm::LLVMContext &c) {
  if constexpr (std::is_void_v<T>) return llvm::Type::getVoidTy(c);
  else if constexpr (std::is_pointer_v<T>) return llvm::PointerType::getUnqual(c);
  else if constexpr (std::is_integral_v<T>) return llvm::IntegerType::get(c, sizeof(T) * 8);
  else if constexpr (std::is_same_v<T, float>) return llvm::Type::getFloatTy(c);
  else {
    static_assert(std::is_same_v<T, double>, "runtime functions take pointers, integers, float and double");
    return llvm::Type::getDoubleTy(c);
  }
}

template <typename Fn> struct Prototype;
template <typename R, typename... Args> struct Prototype<R(Args...)> {
  static llvm::FunctionType *get(llvm::LLVMContext &c) { return llvm::FunctionType::get(llvm_type_of<R>(c), {llvm_type_of<Args>(c)...}, false); }
};

} // namespace detail

/// The declaration of C function `name` with the signature `Fn` in `module`.
template <typename Fn> llvm::FunctionCallee runtime_function(llvm::Module &module, const char *name) {
  return module.getOrInsertFunction(name, detail::Prototype<Fn>::get(module.getContext()));
}

} // namespace nncc::codegen

/// The declaration of runtime function `name` (one of runtime_functions.def).
#define NNCC_RUNTIME_CALLEE(module, name) ::nncc::codegen::runtime_function<decltype(name)>(module, #name)
