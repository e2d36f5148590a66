// Fuzz target: what trustgate decodes from an LDAP server's BER. The first byte picks what the
// rest is:
//   0: a Sync State control value (parse_sync_state),
//   1: a Sync Info message value (parse_sync_info),
//   2: the contents of a SearchResultEntry ([APPLICATION 4]: objectName, attributes). It is
//      wrapped in an LDAPMessage answering a search and delivered through libldap on a
//      socketpair, so read_entry decodes a real LDAPMessage exactly as with a server; the entry
//      is then mapped as an ldap source does (to_user, to_group) and as an AD source does
//      (to_ad_user, to_ad_group, take_range_slice).
// Contract under test: hostile BER is an error value or an entry without what it lacked, never a
// crash or a hang.
#include <ldap.h>
#include <openldap.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "connectors/ldap/ad_entry_mapping.h"
#include "connectors/ldap/ad_ranged_attribute.h"
#include "connectors/ldap/entry_mapping.h"
#include "connectors/ldap/ldap_entry.h"
#include "connectors/ldap/sync_protocol.h"

namespace {

constexpr std::size_t kMaxEntryBytes = 64 * 1024;  // well within a socketpair's buffer

// BER definite length octets.
std::string ber_length(std::size_t n) {
  if (n < 0x80) return std::string(1, static_cast<char>(n));
  std::string bytes;
  for (; n > 0; n >>= 8) bytes.insert(bytes.begin(), static_cast<char>(n & 0xff));
  return std::string(1, static_cast<char>(0x80 | bytes.size())) + bytes;
}

// LDAPMessage { messageID 1, searchResEntry <contents> }.
std::string search_result_entry(std::string_view contents) {
  std::string body("\x02\x01\x01\x64", 4);  // INTEGER 1, [APPLICATION 4]
  body += ber_length(contents.size());
  body += contents;
  std::string message("\x30", 1);  // SEQUENCE
  message += ber_length(body.size());
  message += body;
  return message;
}

// Sends one search on a connection over a socketpair, answers it with `contents` as the entry,
// and copies the entry out with read_entry. False when libldap did not deliver an entry.
bool entry_from_wire(std::string_view contents, trustgate::LdapEntry& out) {
  int fds[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0) return false;
  LDAP* ld = nullptr;
  if (ldap_init_fd(fds[0], LDAP_PROTO_TCP, nullptr, &ld) != LDAP_SUCCESS) {
    ::close(fds[0]);
    ::close(fds[1]);
    return false;
  }
  int version = LDAP_VERSION3;
  ldap_set_option(ld, LDAP_OPT_PROTOCOL_VERSION, &version);
  int msgid = 0;
  bool got = false;
  if (ldap_search_ext(ld, "dc=fuzz", LDAP_SCOPE_BASE, "(objectClass=*)", nullptr, 0, nullptr,
                      nullptr, nullptr, 0, &msgid) == LDAP_SUCCESS &&
      msgid == 1) {
    const std::string wire = search_result_entry(contents);
    std::size_t sent = 0;
    while (sent < wire.size()) {
      const ssize_t n = ::write(fds[1], wire.data() + sent, wire.size() - sent);
      if (n <= 0) break;
      sent += static_cast<std::size_t>(n);
    }
    ::shutdown(fds[1], SHUT_WR);  // what follows the entry is end of stream, never a wait
    timeval timeout{1, 0};
    LDAPMessage* res = nullptr;
    if (sent == wire.size() &&
        ldap_result(ld, msgid, LDAP_MSG_ONE, &timeout, &res) == LDAP_RES_SEARCH_ENTRY) {
      out = trustgate::read_entry(ld, res);
      got = true;
    }
    if (res != nullptr) ldap_msgfree(res);
  }
  ldap_unbind_ext_s(ld, nullptr, nullptr);  // closes fds[0]
  ::close(fds[1]);
  return got;
}

void map_entry(const trustgate::LdapEntry& entry) {
  static const trustgate::LdapUserOptions kUsers;
  static const trustgate::LdapGroupOptions kGroups;
  static const trustgate::LdapUserOptions kAdUsers{.id_attr = "objectGUID",
                                                   .username_attr = "sAMAccountName",
                                                   .display_name_attr = "displayName"};
  static const trustgate::LdapGroupOptions kAdGroups{
      .id_attr = "objectGUID", .member_attrs = {"member"}, .member_uid_attr = ""};
  (void)entry.first("cn");
  (void)trustgate::to_user(entry, kUsers);
  (void)trustgate::to_group(entry, kGroups);
  (void)trustgate::to_ad_user(entry, kAdUsers);
  (void)trustgate::to_ad_group(entry, kAdGroups);
  trustgate::LdapEntry ranged = entry;
  (void)trustgate::take_range_slice(ranged, "member", 0);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::string_view rest(reinterpret_cast<const char*>(data) + 1, size - 1);
  switch (data[0] % 3) {
    case 0:
      (void)trustgate::parse_sync_state(rest);
      break;
    case 1:
      (void)trustgate::parse_sync_info(rest);
      break;
    default: {
      if (rest.size() > kMaxEntryBytes) return 0;
      trustgate::LdapEntry entry;
      if (entry_from_wire(rest, entry)) map_entry(entry);
      break;
    }
  }
  return 0;
}
