// Compiled by attribute_names.test: reads of op attributes by name.
#include "ir/module.h"

int64_t known(const nncc::ir::Value &v) { return v.int_attr("axis"); }
#ifdef TYPO
int64_t typo(const nncc::ir::Value &v) { return v.int_attr("axes"); }
#endif
#ifdef WRONG_KIND
double wrong_kind(const nncc::ir::Value &v) { return v.float_attr("axis"); }
#endif
#ifdef BUILT_WITH_TYPO
nncc::ir::Attrs built() { return nncc::ir::attrs_of(nncc::ir::OpKind::Softmax, {{"axsi", int64_t{1}}}); }
#endif
