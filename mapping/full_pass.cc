#include "mapping/full_pass.h"

#include <algorithm>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "common/ordered_pipeline.h"
#include "mapping/group_tree.h"
#include "mapping/id_order.h"
#include "mapping/user_factory.h"
#include "mapping/user_from_entry.h"

namespace trustgate {
namespace {

// Below this many users per thread, threads cost more than they save.
constexpr std::size_t kUsersPerThread = 16384;
// Users are made for a sink in chunks of this many, in id order.
constexpr std::size_t kChunkUsers = 2048;

// One snapshot in the full pass: its group tree, and the factory of its users.
struct SourceWork {
  std::unique_ptr<GroupTree> tree;
  std::optional<UserFactory> factory;
  UserFactory::Cache cache;  // the mapping thread's
};

// Resolves snapshot i's groups and users into a tree, and remembers in the memo what a later
// pass needs to go without one.
void build_tree(MappingPass& pass, std::size_t i, SourceWork& w) {
  const DirectorySnapshot& s = *pass.prepared[i].snapshot;
  w.tree = std::make_unique<GroupTree>(s.groups, s.users, pass.max_threads);
  w.factory.emplace(s, pass.hits[i], *w.tree);
  auto cycles = w.tree->cycles();
  if (pass.memo) {
    MappingMemo::SourceGroups& sg = pass.memo->groups[s.source];
    sg.rank = w.tree->rank();
    sg.member_dns.clear();
    sg.member_uids.clear();
    for (const auto& g : s.groups) {
      sg.member_dns.push_back(g.member_dns);
      sg.member_uids.push_back(g.member_uids);
    }
    sg.cycles = cycles;
  }
  for (auto& cycle : cycles) pass.report_cycle(s.source, std::move(cycle));
}

// Records this pass's group structure in the memo; true when it is the memo's (users may be
// reused). When it is not, the memo's users are forgotten.
bool start_memo(MappingPass& pass, const std::vector<SourceWork>& work) {
  if (!pass.memo) return false;
  MappingMemo& memo = *pass.memo;
  std::map<std::string, MappingMemo::GroupStructure> now;
  for (std::size_t i = 0; i < pass.prepared.size(); ++i) {
    const DirectorySnapshot& s = *pass.prepared[i].snapshot;
    MappingMemo::GroupStructure& st = now[s.source];
    st.groups.reserve(s.groups.size());
    for (const auto& g : s.groups) st.groups.push_back(MappingMemo::GroupStructure::key_of(g));
    st.parents = work[i].tree->parents();
  }
  memo.reused = memo.mapped = 0;
  memo.incremental = false;
  const bool same = !memo.structure.empty() && now == memo.structure;
  if (!same) {
    memo.users.clear();
    memo.structure = std::move(now);
  }
  return same;
}

// True when the memo holds this entry's user as made from the same entry and direct groups.
bool reusable(const MappingMemo& memo, const DirectorySnapshot& s, const SourceWork& w,
              std::size_t u) {
  const DirectoryUser& du = s.users[u];
  auto it = memo.users.find(du.id);
  return it != memo.users.end() && it->second.source == s.source && it->second.entry == du &&
         it->second.direct_groups == w.tree->direct_groups(u);
}

// The users of the entries map_users will map afresh (not reused from the memo), made on
// several threads when there are many. nullptr for entries without an id or reusable ones.
std::vector<std::shared_ptr<User>> make_users(const MappingPass& pass, const DirectorySnapshot& s,
                                              SourceWork& w, bool reuse) {
  const std::size_t n = s.users.size();
  std::vector<std::shared_ptr<User>> made(n);
  auto make_range = [&](std::size_t begin, std::size_t end, UserFactory::Cache& cache) {
    for (std::size_t u = begin; u < end; ++u) {
      if (s.users[u].id.empty() || (reuse && reusable(*pass.memo, s, w, u))) continue;
      made[u] = w.factory->make(u, cache);
    }
  };
  const unsigned threads =
      static_cast<unsigned>(std::min<std::size_t>(pass.max_threads, n / kUsersPerThread));
  if (threads <= 1) {
    make_range(0, n, w.cache);
    return made;
  }
  // One contiguous slice per thread, each with its own cache (a slice is made by one thread);
  // nothing to deliver: map_users reads `made` once all are made.
  std::vector<UserFactory::Cache> caches(threads);
  const std::size_t slice = (n + threads - 1) / threads;
  run_ordered_pipeline(
      threads, {.threads = threads},
      [&](std::size_t t, unsigned) {
        make_range(std::min(n, t * slice), std::min(n, (t + 1) * slice), caches[t]);
      },
      [](std::size_t) {});
  return made;
}

void map_users(MappingPass& pass, std::size_t i, SourceWork& w, bool reuse) {
  const DirectorySnapshot& s = *pass.prepared[i].snapshot;
  UserMap& users = pass.result.model.users;
  std::vector<std::shared_ptr<User>> made = make_users(pass, s, w, reuse);
  std::size_t without_id = 0;
  for (std::size_t u = 0; u < s.users.size(); ++u) {
    const DirectoryUser& du = s.users[u];
    if (du.id.empty()) {
      ++without_id;
      continue;
    }
    if (!made[u] && reuse && users.put_new(du.id, pass.memo->users.at(du.id).user)) {
      ++pass.memo->reused;  // make_users left it: reusable
      continue;
    }
    if (!users.contains(du.id)) {
      std::shared_ptr<User> user = made[u] ? std::move(made[u]) : w.factory->make(u, w.cache);
      users.put(du.id, user);
      if (pass.memo) {
        pass.memo->users.insert_or_assign(
            du.id, MappingMemo::UserEntry{s.source, du, w.tree->direct_groups(u), user});
        ++pass.memo->mapped;
      }
      continue;
    }
    // A stable id seen twice: the profile comes from the first source (by name), within
    // one source from the entry with the smaller (DN, username); disabled anywhere wins.
    User& user = users[du.id];  // cloned when shared (the memo keeps the first entry's)
    if (user.source == s.source &&
        std::tie(du.dn, du.username) < std::tie(user.dn, user.username)) {
      take_profile(user, du, s.source);
    }
    user.enabled = user.enabled && du.enabled;
    w.factory->add_grants_of(user, u, w.cache);
    pass.merged.insert(du.id);
  }
  pass.report_without_id(s.source, without_id);
}

// map_users for the one snapshot, whose users all have distinct ids (`id` is their id order),
// delivering them to `sink` in id order while the next ones are made: worker threads make
// chunks, this thread hands each to the sink as soon as it and every chunk before it are made
// (the sink is typically writing them to the store meanwhile).
void map_users_streamed(MappingPass& pass, SourceWork& w, const IdOrder& id, const UserSink& sink) {
  const DirectorySnapshot& s = *pass.prepared[0].snapshot;
  const std::vector<std::size_t>& order = id.users;
  const std::size_t chunks = (order.size() + kChunkUsers - 1) / kChunkUsers;
  // This thread is busy delivering (writing): one worker fewer than the machine's threads, so
  // that the writer, the slowest step, keeps a core to itself. None for a small directory:
  // chunks are then made and delivered in turn on this thread.
  const unsigned threads = static_cast<unsigned>(
      std::min<std::size_t>(std::max(1u, pass.max_threads - 1), order.size() / kUsersPerThread));
  std::vector<UserFactory::Cache> caches(std::max(1u, threads));
  std::vector<std::vector<UserMap::Ptr>> made(chunks);
  auto make_chunk = [&](std::size_t c, unsigned worker) {
    const std::size_t end = std::min(order.size(), (c + 1) * kChunkUsers);
    made[c].reserve(end - c * kChunkUsers);
    for (std::size_t i = c * kChunkUsers; i < end; ++i) {
      made[c].push_back(w.factory->make(order[i], caches[worker]));
    }
  };
  // To the sink, then into the model (in increasing id order: appended) and the memo; the
  // chunk itself is freed at once.
  UserMap& users = pass.result.model.users;
  auto deliver = [&](std::size_t c) {
    sink(made[c]);
    std::size_t i = c * kChunkUsers;
    for (const auto& user : made[c]) {
      const std::size_t u = order[i++];
      users.put(s.users[u].id, user);
      if (pass.memo) {
        pass.memo->users.insert_or_assign(
            s.users[u].id,
            MappingMemo::UserEntry{s.source, s.users[u], w.tree->direct_groups(u), user});
        ++pass.memo->mapped;
      }
    }
    std::vector<UserMap::Ptr>().swap(made[c]);
  };
  // Look-ahead unbounded: every user made stays in the model anyway, so chunks made early cost
  // no memory of their own, and workers that finish early leave the writer their core.
  run_ordered_pipeline(chunks, {.threads = threads}, make_chunk, deliver);
  pass.report_without_id(s.source, id.without_id);
}

}  // namespace

void map_fully(MappingPass& pass, const UserSink& sink) {
  // Streamed: one snapshot (no merging across sources) and a pass that makes every user.
  // The id order it needs is sorted on another thread while the group tree is built.
  const bool may_stream = sink && pass.prepared.size() == 1;
  std::vector<SourceWork> work(pass.prepared.size());
  IdOrder order;
  {
    std::jthread sorter;
    if (may_stream) sorter = std::jthread([&] { order = id_order(*pass.prepared[0].snapshot); });
    for (std::size_t i = 0; i < pass.prepared.size(); ++i) build_tree(pass, i, work[i]);
  }
  const bool reuse = start_memo(pass, work);
  if (may_stream && !reuse && order.distinct) {
    map_users_streamed(pass, work[0], order, sink);
    pass.result.streamed = true;
  } else {
    for (std::size_t i = 0; i < pass.prepared.size(); ++i) map_users(pass, i, work[i], reuse);
  }
}

}  // namespace trustgate
