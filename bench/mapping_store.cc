// Benchmark: map a synthetic 100k users / 2k groups / 500 schools directory (with 5-level
// nesting) into an access model, and apply it to a fresh SQLite store. Prints wall time and
// peak RSS of each phase, with baselines measured in the same run:
//   mapping  vs  a deep copy of the snapshot (the floor of touching every entry once);
//   apply    vs  raw SQLite inserts of one row per user and per grant in one transaction.
// Usage: bench_mapping_store [USERS] [GROUPS] [SCHOOLS]
#include <SQLiteCpp/SQLiteCpp.h>
#include <fmt/format.h>
#include <sqlite3.h>

#include <memory>

#include <cstdlib>
#include <filesystem>

#include "bench/lib/measure.h"
#include "bench/lib/synthetic_directory.h"
#include "common/clock.h"
#include "daemon/store/sqlite_library.h"
#include "daemon/store/store.h"
#include "mapping/mapper.h"
#include "mapping/model_diff.h"

using namespace trustgate;
using namespace trustgate::bench;

int main(int argc, char** argv) {
  (void)configure_sqlite_library();  // as trustgated does
  SyntheticShape shape;
  if (argc > 1) shape.users = std::strtoul(argv[1], nullptr, 10);
  if (argc > 2) shape.groups = std::strtoul(argv[2], nullptr, 10);
  if (argc > 3) shape.schools = std::strtoul(argv[3], nullptr, 10);
  const auto dir = std::filesystem::temp_directory_path() /
                   fmt::format("trustgate-bench-{}", static_cast<long>(getpid()));
  std::filesystem::create_directories(dir);

  SyntheticDirectory synthetic;
  auto gen = measure([&] { synthetic = make_synthetic_directory(shape); });
  std::size_t memberships = 0;
  for (const auto& g : synthetic.snapshot.groups) memberships += g.member_dns.size();
  fmt::print(
      "directory: {} users, {} groups, {} schools, {} member values, nesting {} deep "
      "(generated in {:.2f} s)\n",
      synthetic.snapshot.users.size(), synthetic.snapshot.groups.size(), shape.schools, memberships,
      shape.nesting_depth, gen.seconds);

  std::vector<DirectorySnapshot> copy;
  auto copy_m = measure([&] { copy = {synthetic.snapshot}; });
  MappingResult mapped;
  auto map_m = measure([&] { mapped = map_directory({synthetic.snapshot}, synthetic.mapping); });
  const std::size_t grants = mapped.model.grant_count();
  fmt::print(
      "map:      {:7.3f} s, peak RSS {:6.1f} MiB (+{:.1f} MiB over before) -> {} users, {} "
      "grants, {} warnings\n",
      map_m.seconds, map_m.peak_rss_kib / 1024.0,
      (map_m.peak_rss_kib - map_m.rss_before_kib) / 1024.0, mapped.model.users.size(), grants,
      mapped.warnings.size());
  fmt::print("baseline: {:7.3f} s deep copy of the snapshot; ratio map/copy = {:.1f}x\n",
             copy_m.seconds, map_m.seconds / copy_m.seconds);
  copy.clear();

  SystemClock clock;
  auto store = Store::open((dir / "store.db").string(), clock);
  if (!store) {
    fmt::print(stderr, "store: {}\n", store.error().message);
    return 1;
  }
  Result<RevisionInfo> applied;
  auto apply_m = measure([&] { applied = (*store)->apply(mapped.model, {"synthetic", "bench"}); });
  if (!applied) {
    fmt::print(stderr, "apply: {}\n", applied.error().message);
    return 1;
  }
  const std::size_t rows = mapped.model.users.size() + grants;
  // Rows the store wrote: users name shared grant sets (schema version 4), so far fewer than
  // one per user and grant.
  const int written =
      (*store)->with_db([](SQLite::Database& db) { return sqlite3_total_changes(db.getHandle()); });
  fmt::print(
      "apply:    {:7.3f} s, peak RSS {:6.1f} MiB (+{:.1f} MiB over before), {} users and {} "
      "grants in {} rows, revision {}\n",
      apply_m.seconds, apply_m.peak_rss_kib / 1024.0,
      (apply_m.peak_rss_kib - apply_m.rss_before_kib) / 1024.0, mapped.model.users.size(), grants,
      written, applied->number);

  auto raw_m = measure([&] {
    SQLite::Database db((dir / "raw.db").string(), SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
    db.exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;");
    db.exec("CREATE TABLE r(a TEXT, b TEXT, c TEXT, d TEXT)");
    SQLite::Transaction tx(db);
    SQLite::Statement ins(db, "INSERT INTO r VALUES(?,?,?,?)");
    for (const auto& [id, u] : mapped.model.users) {
      auto row = [&](const std::string& b, const std::string& c) {
        ins.bind(1, id);
        ins.bind(2, b);
        ins.bind(3, c);
        ins.bind(4, u.dn);
        ins.exec();
        ins.reset();
      };
      row(u.username, u.display_name);
      for (const auto& r : u.roles) row(r.role, r.via->group);
      for (const auto& a : u.associations) row(a.target, a.via->group);
    }
    tx.commit();
  });
  fmt::print(
      "baseline: {:7.3f} s raw SQLite insert of one row per user and per grant ({} rows); "
      "ratio apply/raw = "
      "{:.1f}x\n",
      raw_m.seconds, rows, apply_m.seconds / raw_m.seconds);

  // The propagation path: one user leaves one group; remap everything and apply the change,
  // first without then with a MappingMemo primed by a pass over the unchanged directory.
  MappingMemo memo;
  auto primed = std::make_shared<const AccessModel>(
      map_directory({synthetic.snapshot}, synthetic.mapping, &memo).model);
  auto& groups = synthetic.snapshot.groups;
  groups[0].member_dns.erase(groups[0].member_dns.begin());
  MappingResult remapped;
  auto remap_m =
      measure([&] { remapped = map_directory({synthetic.snapshot}, synthetic.mapping); });
  ModelDiff diff;
  auto diff_m = measure([&] { diff = diff_models(mapped.model, remapped.model); });
  auto small_m = measure([&] {
    applied = (*store)->apply(remapped.model, {"synthetic", diff.summary()});
  });
  fmt::print("one change: remap {:.3f} s + diff {:.3f} s + apply {:.3f} s = {:.3f} s ({})\n",
             remap_m.seconds, diff_m.seconds, small_m.seconds,
             remap_m.seconds + diff_m.seconds + small_m.seconds, diff.summary());
  MappingResult memo_mapped;
  auto memo_m =
      measure([&] { memo_mapped = map_directory({synthetic.snapshot}, synthetic.mapping, &memo); });
  auto memo_model = std::make_shared<const AccessModel>(std::move(memo_mapped.model));
  ModelDiff memo_diff;
  auto memo_diff_m = measure([&] { memo_diff = diff_models(*primed, *memo_model); });
  fmt::print(
      "one change with the memo: remap {:.3f} s ({} users reused, {} mapped) + diff {:.3f} s "
      "({}); remap ratio full/memo = {:.1f}x\n",
      memo_m.seconds, memo.reused, memo.mapped, memo_diff_m.seconds, memo_diff.summary(),
      remap_m.seconds / memo_m.seconds);
  std::filesystem::remove_all(dir);
  return applied ? 0 : 1;
}
