#include "connectors/ldap/paged_search.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <sys/time.h>

namespace trustgate {
namespace {

constexpr const char* kShowDeletedOid = "1.2.840.113556.1.4.417";

std::vector<char*> attribute_array(const std::vector<std::string>& attrs) {
  std::vector<char*> out;
  for (const auto& a : attrs) out.push_back(const_cast<char*>(a.c_str()));
  out.push_back(nullptr);
  return out;
}

}  // namespace

Result<std::size_t> paged_search(LdapConnection& conn, const PagedSearch& search,
                                 const std::function<void(LdapEntry&&)>& on_entry) {
  LDAP* ld = conn.get();
  auto attrs = attribute_array(search.attributes);
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(conn.timeout().count());
  const std::string what = fmt::format("search of '{}'", search.base);
  berval cookie{0, nullptr};
  std::string cookie_bytes;
  std::size_t count = 0;
  for (;;) {
    LDAPControl* raw_page = nullptr;
    int rc = ldap_create_page_control(ld, static_cast<ber_int_t>(search.page_size),
                                      cookie_bytes.empty() ? nullptr : &cookie, 1, &raw_page);
    LdapControlPtr page(raw_page);
    if (rc != LDAP_SUCCESS) return std::unexpected(conn.error("ldap.search", what, rc));
    LDAPControl show_deleted{const_cast<char*>(kShowDeletedOid), {0, nullptr}, 0};
    LDAPControl* server_controls[] = {page.get(), search.show_deleted ? &show_deleted : nullptr,
                                      nullptr};
    int msgid = 0;
    rc = ldap_search_ext(ld, search.base.c_str(), LDAP_SCOPE_SUBTREE, search.filter.c_str(),
                         attrs.data(), 0, server_controls, nullptr, &tv, LDAP_NO_LIMIT, &msgid);
    if (rc != LDAP_SUCCESS)
      return std::unexpected(
          conn.error(rc == LDAP_SERVER_DOWN ? "ldap.connect" : "ldap.search", what, rc));
    bool page_done = false;
    while (!page_done) {
      LDAPMessage* raw_msg = nullptr;
      rc = ldap_result(ld, msgid, LDAP_MSG_ONE, &tv, &raw_msg);
      LdapMessagePtr msg(raw_msg);
      if (rc == 0) {
        ldap_abandon_ext(ld, msgid, nullptr, nullptr);
        return fail("ldap.search", fmt::format("{} on {} timed out after {}s", what, conn.url(),
                                               conn.timeout().count()));
      }
      if (rc < 0) {
        int err = LDAP_OTHER;
        ldap_get_option(ld, LDAP_OPT_RESULT_CODE, &err);
        return std::unexpected(conn.error("ldap.connect", what, err));
      }
      switch (rc) {
        case LDAP_RES_SEARCH_ENTRY:
          on_entry(read_entry(ld, msg.get()));
          ++count;
          break;
        case LDAP_RES_SEARCH_REFERENCE:
          spdlog::debug("ldap: ignoring a search reference in {}", what);
          break;
        case LDAP_RES_SEARCH_RESULT: {
          int result = LDAP_SUCCESS;
          char* matched = nullptr;
          char* text = nullptr;
          LDAPControl** raw_ctrls = nullptr;
          rc = ldap_parse_result(ld, msg.get(), &result, &matched, &text, nullptr, &raw_ctrls, 0);
          LdapMemPtr<char> matched_owner(matched);
          LdapMemPtr<char> text_owner(text);
          LdapControlsPtr ctrls(raw_ctrls);
          if (rc != LDAP_SUCCESS) return std::unexpected(conn.error("ldap.search", what, rc));
          if (result != LDAP_SUCCESS) {
            return fail(
                "ldap.search",
                fmt::format("{} failed on {}: {}{}", what, conn.url(), ldap_err2string(result),
                            text && *text ? fmt::format(" ({})", text) : ""));
          }
          LDAPControl* response =
              ldap_control_find(LDAP_CONTROL_PAGEDRESULTS, ctrls.get(), nullptr);
          if (!response)
            return fail("ldap.search", fmt::format("{} on {}: the server did not answer the "
                                                   "paged results control",
                                                   what, conn.url()));
          ber_int_t estimate = 0;
          berval next{0, nullptr};
          rc = ldap_parse_pageresponse_control(ld, response, &estimate, &next);
          if (rc != LDAP_SUCCESS) return std::unexpected(conn.error("ldap.search", what, rc));
          cookie_bytes.assign(next.bv_val ? next.bv_val : "", next.bv_len);
          if (next.bv_val) ber_memfree(next.bv_val);
          cookie = berval{static_cast<ber_len_t>(cookie_bytes.size()), cookie_bytes.data()};
          page_done = true;
          break;
        }
        default:
          break;  // intermediate responses etc. are not expected here
      }
    }
    if (cookie_bytes.empty()) return count;
  }
}

}  // namespace trustgate
