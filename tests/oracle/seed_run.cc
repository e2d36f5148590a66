#include "tests/oracle/seed_run.h"

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <string>

#include "tests/oracle/trustgate_pipeline.h"

namespace trustgate::oracle {
namespace {

std::string make_temp_dir(std::uint64_t seed) {
  std::string templ = (std::filesystem::temp_directory_path() /
                       ("tg-oracle-seed" + std::to_string(seed) + "-XXXXXX"))
                          .string();
  if (::mkdtemp(templ.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  return templ;
}

}  // namespace

SeedOutcome run_seed(const DirectoryModel& model, const SourceSpec& source) {
  SeedOutcome out;
  const std::string dir = make_temp_dir(model.seed);
  const std::string main = write_rendered(dir, render_directory(model, source));
  const std::string replay = "\n  files kept for replay: " + dir +
                             " (TG_SEED=" + std::to_string(model.seed) + ", source " + source.type +
                             (source.incremental ? ", incremental" : "") + ")";
  const PipelineResult run = run_pipeline(main);
  out.users_read = run.users_read;
  out.groups_read = run.groups_read;
  if (!run.served) {
    out.message = "seed " + std::to_string(model.seed) + ": " + run.error + replay;
    return out;
  }
  if (auto diff = compare_with_oracle(model, *run.served, out.stats)) {
    out.message = "seed " + std::to_string(model.seed) + ": " + to_string(*diff) + replay;
    return out;
  }
  out.agreed = true;
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
  return out;
}

std::vector<std::uint64_t> seeds_from_env(int default_count) {
  if (const char* one = std::getenv("TG_SEED"); one && *one) {
    return {std::strtoull(one, nullptr, 10)};
  }
  int count = default_count;
  if (const char* n = std::getenv("TG_SEEDS"); n && *n) count = std::atoi(n);
  std::vector<std::uint64_t> seeds;
  for (int i = 1; i <= count; ++i) seeds.push_back(static_cast<std::uint64_t>(i));
  return seeds;
}

}  // namespace trustgate::oracle
