#include "mapping/case_fold.h"

#include <gtest/gtest.h>

namespace trustgate {
namespace {

TEST(FoldCase, AsciiMapsOnlyAToZ) {
  EXPECT_EQ(fold_case("Ann.Smith-01@LA"), "ann.smith-01@la");
  EXPECT_EQ(fold_case(""), "");
  EXPECT_EQ(fold_case(std::string_view("A\0B", 3)), std::string("a\0b", 3));
}

TEST(FoldCase, NonAsciiIsFullyFolded) {
  EXPECT_EQ(fold_case("ŻANETA"), "żaneta");
  EXPECT_EQ(fold_case("Żaneta"), fold_case("żANETA"));
  EXPECT_EQ(fold_case("Straße"), "strasse");  // full folding: one letter becomes two
  EXPECT_EQ(fold_case("ΣΊΣΥΦΟΣ"), fold_case("σίσυφος"));
  EXPECT_EQ(fold_case("İ"), "i\xcc\x87");  // not Turkic: dotted capital I keeps its dot
  EXPECT_EQ(fold_case("😀X"), "😀x");
}

TEST(FoldCase, NoNormalisation) {
  EXPECT_NE(fold_case("\xc5\xbb"), fold_case("Z\xcc\x87"));  // precomposed vs decomposed
  EXPECT_EQ(fold_case("Z\xcc\x87"), "z\xcc\x87");
}

TEST(FoldCase, BytesThatAreNotUtf8AreKeptAsTheyAre) {
  EXPECT_EQ(fold_case("A\xff"
                      "B"),
            "a\xff"
            "b");
  EXPECT_EQ(fold_case("Ż\xc5"), "ż\xc5");  // truncated sequence
  EXPECT_EQ(fold_case("\xc0\xaf"
                      "A"),
            "\xc0\xaf"
            "a");                                                // overlong '/'
  EXPECT_EQ(fold_case("\xed\xa0\x80Ż"), "\xed\xa0\x80ż");        // a surrogate
  EXPECT_EQ(fold_case("\xf4\x90\x80\x80"), "\xf4\x90\x80\x80");  // above U+10FFFF
}

TEST(Utf8SequenceLength, AcceptsWellFormedOnly) {
  EXPECT_EQ(utf8_sequence_length("a", 0), 1u);
  EXPECT_EQ(utf8_sequence_length("ż", 0), 2u);
  EXPECT_EQ(utf8_sequence_length("中", 0), 3u);
  EXPECT_EQ(utf8_sequence_length("😀", 0), 4u);
  EXPECT_EQ(utf8_sequence_length("\xe4\xb8", 0), 0u);
  EXPECT_EQ(utf8_sequence_length("\x80", 0), 0u);
  EXPECT_EQ(utf8_sequence_length("\xe0\x80\x80", 0), 0u);
  EXPECT_EQ(utf8_sequence_length("\xf8\x80\x80\x80\x80", 0), 0u);
}

}  // namespace
}  // namespace trustgate
