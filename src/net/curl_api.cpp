#include "net/curl_api.h"

#include "core/shared_library.h"

namespace pricepipe::net {

const CurlApi& curl() {
  static const CurlApi api = [] {
    static const SharedLibrary lib("libcurl.so.4", "libcurl4");
    CurlApi a{};
    a.global_init = lib.function<decltype(a.global_init)>("curl_global_init");
    a.easy_strerror = lib.function<decltype(a.easy_strerror)>("curl_easy_strerror");
    a.easy_init = lib.function<decltype(a.easy_init)>("curl_easy_init");
    a.easy_cleanup = lib.function<decltype(a.easy_cleanup)>("curl_easy_cleanup");
    a.easy_reset = lib.function<decltype(a.easy_reset)>("curl_easy_reset");
    a.easy_setopt = lib.function<decltype(a.easy_setopt)>("curl_easy_setopt");
    a.easy_getinfo = lib.function<decltype(a.easy_getinfo)>("curl_easy_getinfo");
    a.easy_pause = lib.function<decltype(a.easy_pause)>("curl_easy_pause");
    a.slist_append = lib.function<decltype(a.slist_append)>("curl_slist_append");
    a.slist_free_all = lib.function<decltype(a.slist_free_all)>("curl_slist_free_all");
    a.multi_init = lib.function<decltype(a.multi_init)>("curl_multi_init");
    a.multi_setopt = lib.function<decltype(a.multi_setopt)>("curl_multi_setopt");
    a.multi_add_handle = lib.function<decltype(a.multi_add_handle)>("curl_multi_add_handle");
    a.multi_remove_handle = lib.function<decltype(a.multi_remove_handle)>("curl_multi_remove_handle");
    a.multi_perform = lib.function<decltype(a.multi_perform)>("curl_multi_perform");
    a.multi_poll = lib.function<decltype(a.multi_poll)>("curl_multi_poll");
    a.multi_wakeup = lib.function<decltype(a.multi_wakeup)>("curl_multi_wakeup");
    a.multi_timeout = lib.function<decltype(a.multi_timeout)>("curl_multi_timeout");
    a.multi_info_read = lib.function<decltype(a.multi_info_read)>("curl_multi_info_read");
    a.multi_cleanup = lib.function<decltype(a.multi_cleanup)>("curl_multi_cleanup");
    return a;
  }();
  return api;
}

}  // namespace pricepipe::net
