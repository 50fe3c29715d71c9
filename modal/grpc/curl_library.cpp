#include "modal/grpc/curl_library.h"

#include <dlfcn.h>

#include <mutex>
#include <string>

namespace parhelia::modal {
namespace {

template <class Function>
bool resolve(void* handle, const char* name, Function& out) {
  out = reinterpret_cast<Function>(::dlsym(handle, name));
  return out != nullptr;
}

core::Result<const CurlLibrary*> load() {
  static CurlLibrary library;
  // RTLD_LOCAL: its symbols (and its OpenSSL's) do not become anyone else's.
  void* handle = ::dlopen("libcurl.so.4", RTLD_NOW | RTLD_LOCAL);
  if (!handle) {
    return core::Error{core::ErrorCode::unavailable,
                       std::string("Cannot load libcurl for Modal's API: ") + ::dlerror() + ".",
                       "Install it with `apt-get install libcurl4` (scripts/setup does)."};
  }
  CURLcode (*global_init)(long) = nullptr;
  bool all = resolve(handle, "curl_global_init", global_init) &&
             resolve(handle, "curl_easy_init", library.easy_init) &&
             resolve(handle, "curl_easy_cleanup", library.easy_cleanup) &&
             resolve(handle, "curl_easy_setopt", library.easy_setopt) &&
             resolve(handle, "curl_easy_getinfo", library.easy_getinfo) &&
             resolve(handle, "curl_easy_header", library.easy_header) &&
             resolve(handle, "curl_easy_strerror", library.easy_strerror) &&
             resolve(handle, "curl_easy_upkeep", library.easy_upkeep) &&
             resolve(handle, "curl_multi_init", library.multi_init) &&
             resolve(handle, "curl_multi_cleanup", library.multi_cleanup) &&
             resolve(handle, "curl_multi_setopt", library.multi_setopt) &&
             resolve(handle, "curl_multi_add_handle", library.multi_add_handle) &&
             resolve(handle, "curl_multi_remove_handle", library.multi_remove_handle) &&
             resolve(handle, "curl_multi_perform", library.multi_perform) &&
             resolve(handle, "curl_multi_poll", library.multi_poll) &&
             resolve(handle, "curl_multi_wakeup", library.multi_wakeup) &&
             resolve(handle, "curl_multi_info_read", library.multi_info_read) &&
             resolve(handle, "curl_slist_append", library.slist_append) &&
             resolve(handle, "curl_slist_free_all", library.slist_free_all) &&
             resolve(handle, "curl_version_info", library.version_info);
  if (!all) {
    return core::Error{core::ErrorCode::unavailable,
                       "The libcurl found is older than 7.88 (it lacks " +
                           std::string(::dlerror()) +
                           "), and Modal's API needs its HTTP/2 support.",
                       "Install libcurl4 7.88 or newer."};
  }
  if (global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
    return core::Error{core::ErrorCode::unavailable, "libcurl failed to initialise.", ""};
  }
  const curl_version_info_data* info = library.version_info(CURLVERSION_NOW);
  library.version = info->version;
  if (!(info->features & CURL_VERSION_HTTP2) || !(info->features & CURL_VERSION_SSL)) {
    return core::Error{core::ErrorCode::unavailable,
                       std::string("libcurl ") + info->version +
                           " was built without HTTP/2 or TLS, which Modal's API needs.",
                       "Install Debian's libcurl4 (built with nghttp2 and OpenSSL)."};
  }
  return &library;
}

}  // namespace

core::Result<const CurlLibrary*> curl_library() {
  // Loaded once; a failure is remembered too (the library will not appear mid-run).
  static const core::Result<const CurlLibrary*> loaded = load();
  return loaded;
}

}  // namespace parhelia::modal
