#pragma once
// Plain-text tables for trustgatectl's default output.
#include <ostream>
#include <string>
#include <vector>

namespace trustgate::ctl {

class Table {
 public:
  explicit Table(std::vector<std::string> headers) : headers_(std::move(headers)) {}
  void add(std::vector<std::string> row) { rows_.push_back(std::move(row)); }
  // Columns padded to their widest cell (counted in UTF-8 code points).
  void print(std::ostream& out) const;

 private:
  std::vector<std::string> headers_;
  std::vector<std::vector<std::string>> rows_;
};

}  // namespace trustgate::ctl
