// Asks TensorFlow's own library loader which CUDA libraries it can open, without a GPU.
//
// Why: libtensorflow_framework.so.2 and libtensorflow_cc.so.2 list no CUDA library as DT_NEEDED; TensorFlow
// dlopen()s them at run time (xla/tsl/platform/default/dso_loader.cc, and the lazy *_stub.cc trampolines).
// ldd therefore cannot see them. These loader functions are exported, so calling them runs the real
// look-up (same sonames, same search: LD_LIBRARY_PATH, then the library's RUNPATH, then ld.so.cache)
// and nothing needs a GPU: opening a CUDA library does not touch the driver until its first call.
//
// Output: one line per library, tab-separated: <what> <ok|missing> <loaded path | TensorFlow's message>,
// then TryDlopenCUDALibraries (the all-or-nothing check TensorFlow makes before it creates GPU devices).
// Built by scripts/check-gpu-build.sh against the wheel's own headers (absl, same inline namespace).
#include <dlfcn.h>
#include <link.h>

#include <cstdio>
#include <string>
#include <tuple>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace tsl::internal::DsoLoader {
absl::StatusOr<void*> GetCudaDriverDsoHandle();
absl::StatusOr<void*> GetCudaRuntimeDsoHandle();
absl::StatusOr<void*> GetCublasDsoHandle();
absl::StatusOr<void*> GetCublasLtDsoHandle();
absl::StatusOr<void*> GetCufftDsoHandle();
absl::StatusOr<void*> GetCusolverDsoHandle();
absl::StatusOr<void*> GetCusparseDsoHandle();
absl::StatusOr<void*> GetCuptiDsoHandle();
absl::StatusOr<void*> GetCudnnDsoHandle();
absl::StatusOr<void*> GetNcclDsoHandle();
absl::StatusOr<void*> GetNvshmemDsoHandle();
absl::StatusOr<void*> GetNvmlDsoHandle();
absl::Status TryDlopenCUDALibraries();
}  // namespace tsl::internal::DsoLoader

namespace stream_executor {
// xla/stream_executor/cuda/nvjitlink.h: NvJitLinkVersion = std::tuple<unsigned, unsigned>. The call goes
// through the nvJitLink stub, which opens libnvJitLink on first use.
absl::StatusOr<std::tuple<unsigned, unsigned>> GetNvJitLinkVersion();
}  // namespace stream_executor

static std::string firstLine(const absl::Status& s) {
  std::string m(s.message());
  auto nl = m.find('\n');
  return nl == std::string::npos ? m : m.substr(0, nl);
}

static void report(const char* what, const absl::StatusOr<void*>& h) {
  if (!h.ok()) {
    std::printf("%s\tmissing\t%s\n", what, firstLine(h.status()).c_str());
    return;
  }
  struct link_map* map = nullptr;
  const char* path = "?";
  if (dlinfo(*h, RTLD_DI_LINKMAP, &map) == 0 && map != nullptr) path = map->l_name;
  std::printf("%s\tok\t%s\n", what, path);
}

int main() {
  namespace D = tsl::internal::DsoLoader;
  report("cuda-driver", D::GetCudaDriverDsoHandle());
  report("nvml", D::GetNvmlDsoHandle());
  report("cudart", D::GetCudaRuntimeDsoHandle());
  report("cublas", D::GetCublasDsoHandle());
  report("cublasLt", D::GetCublasLtDsoHandle());
  report("cufft", D::GetCufftDsoHandle());
  report("cusolver", D::GetCusolverDsoHandle());
  report("cusparse", D::GetCusparseDsoHandle());
  report("cupti", D::GetCuptiDsoHandle());
  report("cudnn", D::GetCudnnDsoHandle());
  report("nccl", D::GetNcclDsoHandle());
  report("nvshmem", D::GetNvshmemDsoHandle());
  auto v = stream_executor::GetNvJitLinkVersion();
  if (v.ok()) {
    std::printf("nvjitlink\tok\tversion %u.%u\n", std::get<0>(*v), std::get<1>(*v));
  } else {
    std::printf("nvjitlink\tmissing\t%s\n", firstLine(v.status()).c_str());
  }
  absl::Status all = D::TryDlopenCUDALibraries();
  std::printf("TryDlopenCUDALibraries\t%s\t%s\n", all.ok() ? "ok" : "missing", all.ok() ? "-" : firstLine(all).c_str());
  return 0;
}
