// libcurl, loaded when Modal is first used rather than linked. parhelia links its libraries
// statically for a fast start (see the top-level CMakeLists.txt); libcurl.so.4 brings 31 shared
// libraries with it (nghttp2, GnuTLS for LDAP, Kerberos, ...), which would be loaded and
// relocated on every start of `parhelia` — mostly starts that never talk to Modal — and its
// libssl would bind to the executable's own libcrypto. Loaded with dlopen, it costs nothing
// until the first Modal call, and its OpenSSL stays its own.
#pragma once

#include <curl/curl.h>
#include <curl/header.h>

#include "core/base/result.h"

namespace parhelia::modal {

// The libcurl functions the gRPC channel calls, resolved from libcurl.so.4.
struct CurlLibrary {
  CURL* (*easy_init)();
  void (*easy_cleanup)(CURL*);
  CURLcode (*easy_setopt)(CURL*, CURLoption, ...);
  CURLcode (*easy_getinfo)(CURL*, CURLINFO, ...);
  CURLHcode (*easy_header)(CURL*, const char*, size_t, unsigned int, int, curl_header**);
  const char* (*easy_strerror)(CURLcode);
  CURLcode (*easy_upkeep)(CURL*);
  CURLM* (*multi_init)();
  CURLMcode (*multi_cleanup)(CURLM*);
  CURLMcode (*multi_setopt)(CURLM*, CURLMoption, ...);
  CURLMcode (*multi_add_handle)(CURLM*, CURL*);
  CURLMcode (*multi_remove_handle)(CURLM*, CURL*);
  CURLMcode (*multi_perform)(CURLM*, int*);
  CURLMcode (*multi_poll)(CURLM*, struct curl_waitfd*, unsigned int, int, int*);
  CURLMcode (*multi_wakeup)(CURLM*);
  CURLMsg* (*multi_info_read)(CURLM*, int*);
  struct curl_slist* (*slist_append)(struct curl_slist*, const char*);
  void (*slist_free_all)(struct curl_slist*);
  curl_version_info_data* (*version_info)(CURLversion);
  const char* version;  // e.g. "7.88.1"
};

// libcurl, loaded and initialised once per process; an error saying what to install when it
// cannot be loaded or lacks HTTP/2.
core::Result<const CurlLibrary*> curl_library();

}  // namespace parhelia::modal
