// libcurl's functions, loaded when first used (core/shared_library.h): the
// curl loop (net/curl_loop.cpp) calls them through `curl()`, so a command
// that sends nothing does not load libcurl and what comes with it.
#pragma once

#include <curl/curl.h>

namespace pricepipe::net {

struct CurlApi {
  decltype(&::curl_global_init) global_init;
  decltype(&::curl_easy_strerror) easy_strerror;
  decltype(&::curl_easy_init) easy_init;
  decltype(&::curl_easy_cleanup) easy_cleanup;
  decltype(&::curl_easy_reset) easy_reset;
  decltype(&::curl_easy_setopt) easy_setopt;
  decltype(&::curl_easy_getinfo) easy_getinfo;
  decltype(&::curl_easy_pause) easy_pause;
  decltype(&::curl_slist_append) slist_append;
  decltype(&::curl_slist_free_all) slist_free_all;
  decltype(&::curl_multi_init) multi_init;
  decltype(&::curl_multi_setopt) multi_setopt;
  decltype(&::curl_multi_add_handle) multi_add_handle;
  decltype(&::curl_multi_remove_handle) multi_remove_handle;
  decltype(&::curl_multi_perform) multi_perform;
  decltype(&::curl_multi_poll) multi_poll;
  decltype(&::curl_multi_wakeup) multi_wakeup;
  decltype(&::curl_multi_timeout) multi_timeout;
  decltype(&::curl_multi_info_read) multi_info_read;
  decltype(&::curl_multi_cleanup) multi_cleanup;
};

/// libcurl (libcurl.so.4), loaded on the first call; throws FatalError when it cannot be.
const CurlApi& curl();

}  // namespace pricepipe::net
