// The runtime's dataset loaders on small files written here: values, dtypes,
// header detection, image scaling, and the synthetic sets' determinism.
#include "nncc/dataset.hpp"
#include "nncc/idx.hpp"
#include "nncc/npy.h"

#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <unistd.h>
#include <iterator>
#include <vector>
#include <zlib.h>

using namespace nncc;

namespace {

/// Files written by the tests, removed when the test program ends.
struct TempFiles {
  std::vector<std::filesystem::path> paths;
  ~TempFiles() {
    for (const auto &p : paths) std::filesystem::remove(p);
  }
} g_temp_files;

std::string temp_file(const std::string &name, const std::string &bytes) {
  auto path = std::filesystem::temp_directory_path() / ("nncc_test_datasets_" + std::to_string(::getpid()) + "_" + name);
  std::ofstream(path, std::ios::binary) << bytes;
  g_temp_files.paths.push_back(path);
  return path.string();
}

/// A .npy (format 1.0) holding `payload` as elements of `descr`.
std::string npy_file(const std::string &name, const std::string &descr, const std::string &shape, const std::string &payload) {
  std::string header = "{'descr': '" + descr + "', 'fortran_order': False, 'shape': " + shape + ", }";
  header += std::string((64 - (10 + header.size() + 1) % 64) % 64, ' ') + "\n";
  std::string bytes = std::string("\x93NUMPY\x01\x00", 8);
  bytes += static_cast<char>(header.size() & 0xff);
  bytes += static_cast<char>(header.size() >> 8);
  return temp_file(name, bytes + header + payload);
}

} // namespace

TEST_CASE("csv: header detected, label column by name becomes i32 labels") {
  std::string path = temp_file("h.csv", "a, b ,label\r\n1.5,2,0\r\n-3,4e-1,2\r\n");
  data::Dataset d = data::load("csv:" + path + ",label=label").train;
  REQUIRE(d.rows == 2);
  const Tensor &x = d.fields.at("x"), &y = d.fields.at("y");
  CHECK(x.type_str() == "f32[2, 2]");
  CHECK(x.data<float>()[0] == 1.5f);
  CHECK(x.data<float>()[3] == 0.4f);
  CHECK(y.type_str() == "i32[2]");
  CHECK(y.data<int32_t>()[1] == 2);
}

TEST_CASE("csv: without a header every line is data; a fractional label column is f32; no label: features only") {
  std::string path = temp_file("n.csv", "0.25,1,2\n0.75,3,4\n");
  data::Dataset d = data::load("csv:" + path + ",label=0").train;
  CHECK(d.rows == 2);
  CHECK(d.fields.at("y").type_str() == "f32[2]");
  CHECK(d.fields.at("y").data<float>()[1] == 0.75f);
  CHECK(d.fields.at("x").data<float>()[1] == 2.0f);
  data::Dataset all = data::load("csv:" + path).train;
  CHECK(all.fields.size() == 1);
  CHECK(all.fields.at("x").type_str() == "f32[2, 3]");
}

TEST_CASE("csv: infinities and NaN are refused with the line and column") {
  std::string path = temp_file("inf.csv", "1,2\n3,-inf\n");
  CHECK_THROWS_WITH(data::load("csv:" + path), Catch::Contains("line 2 column 2: -inf (only finite numbers are data)"));
}

TEST_CASE("npy: u8 images are scaled, integer arrays become i32, f64 stays f64") {
  std::string images = npy_file("img.npy", "|u1", "(2, 1, 2)", std::string("\x00\xff\x33\x66", 4));
  int64_t labels_raw[2] = {7, 1};
  std::string labels = npy_file("lab.npy", "<i8", "(2,)", std::string(reinterpret_cast<char *>(labels_raw), sizeof labels_raw));
  double targets_raw[2] = {0.5, -2};
  std::string targets = npy_file("t.npy", "<f8", "(2,)", std::string(reinterpret_cast<char *>(targets_raw), sizeof targets_raw));
  data::Dataset d = data::load("npy:x=" + images + ",y=" + labels + ",t=" + targets, 1.0 / 255.0).train;
  CHECK(d.rows == 2);
  const Tensor &x = d.fields.at("x");
  CHECK(x.type_str() == "f32[2, 1, 2]");
  CHECK(x.data<float>()[1] == 1.0f);
  CHECK(x.data<float>()[2] == Approx(0.2f));
  CHECK(d.fields.at("y").type_str() == "i32[2]");
  CHECK(d.fields.at("y").data<int32_t>()[0] == 7);
  CHECK(d.fields.at("t").type_str() == "f64[2]");
  CHECK(d.fields.at("t").data<double>()[1] == -2.0);
  data::Dataset unscaled = data::load("npy:x=" + images, 1.0).train;
  CHECK(unscaled.fields.at("x").data<float>()[1] == 255.0f);
}

TEST_CASE("spirals: n points per arm, labels 0..k-1, inside the unit disc, fixed by the seed") {
  data::Dataset a = data::load("spirals:n=50,k=4").train, b = data::load("spirals:n=50,k=4,seed=0").train,
                c = data::load("spirals:n=50,k=4,seed=1").train;
  REQUIRE(a.rows == 200);
  const Tensor &x = a.fields.at("x"), &y = a.fields.at("y");
  CHECK(y.data<int32_t>()[0] == 0);
  CHECK(y.data<int32_t>()[199] == 3);
  for (int64_t i = 0; i < a.rows; ++i) {
    double r2 = x.at(2 * i) * x.at(2 * i) + x.at(2 * i + 1) * x.at(2 * i + 1);
    CHECK(r2 <= 1.0 + 1e-6);
  }
  CHECK(std::equal(x.data<float>(), x.data<float>() + 400, b.fields.at("x").data<float>()));
  CHECK_FALSE(std::equal(x.data<float>(), x.data<float>() + 400, c.fields.at("x").data<float>()));
  CHECK_THROWS_WITH(data::load("spirals:n=1"), Catch::Contains("n must be at least 2"));
}

TEST_CASE("gather picks rows of a field in the given order, in the input's dtype and row shape") {
  data::Dataset d = data::load("xor").train;
  std::vector<int64_t> rows{3, 0}, row{2}, flat{1};
  Tensor x = data::gather(d, "x", rows, DType::F32, row);
  CHECK(x.type_str() == "f32[2, 2]");
  CHECK(x.data<float>()[0] == 1.0f);
  CHECK(x.data<float>()[2] == 0.0f);
  CHECK(data::gather(d, "y", rows, DType::F32, flat).data<float>()[0] == 0.0f);
  Tensor wide = data::gather(d, "x", rows, DType::F64, row);
  CHECK(wide.type_str() == "f64[2, 2]");
  CHECK(wide.data<double>()[1] == 1.0);
  CHECK_THROWS_WITH(data::gather(d, "x", rows, DType::F32, flat), Catch::Contains("a row of field 'x' (f32[4, 2]) has 2 elements, not the 1 of [1]"));
}

TEST_CASE("IDX images stay u8 in memory and are scaled as they are gathered, as the f32 copy was", "[datasets]") {
  // u8 images [2, 3] = 0..5 and labels [2] = {7, 1}.
  std::string images = temp_file("img.idx", std::string("\0\0\x08\x02\0\0\0\x02\0\0\0\x03\0\x01\x02\x03\xff\x05", 18));
  std::string labels = temp_file("lab.idx", std::string("\0\0\x08\x01\0\0\0\x02\x07\x01", 10));
  data::Dataset d = data::load("idx:images=" + images + ",labels=" + labels, 1.0 / 255.0).train;
  CHECK(d.fields.at("x").type_str() == "u8[2, 3]");
  CHECK(d.fields.at("y").type_str() == "i32[2]");
  std::vector<int64_t> rows{1, 0}, row{3}, one{1};
  Tensor x = data::gather(d, "x", rows, DType::F32, row);
  CHECK(x.type_str() == "f32[2, 3]");
  CHECK(x.data<float>()[0] == static_cast<float>(3 / 255.0)); // rounded once, from the double product
  CHECK(x.data<float>()[1] == 1.0f);
  CHECK(x.data<float>()[3] == 0.0f);
  Tensor wide = data::gather(d, "x", rows, DType::F64, row);
  CHECK(wide.data<double>()[0] == static_cast<double>(static_cast<float>(3 / 255.0)));
  CHECK(data::gather(d, "y", rows, DType::I32, one).data<int32_t>()[0] == 1);
}

namespace {
/// `bytes` gzip-compressed (a single member, as gzip(1) writes it).
std::string gzipped(const std::string &bytes) {
  std::string path = temp_file("gz_tmp.gz", "");
  gzFile f = gzopen(path.c_str(), "wb");
  gzwrite(f, bytes.data(), static_cast<unsigned>(bytes.size()));
  gzclose(f);
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

std::string idx_bytes() { // u8 [2, 3]: 0..5
  return std::string("\0\0\x08\x02\0\0\0\x02\0\0\0\x03\0\x01\x02\x03\x04\x05", 18);
}

std::string error_of(const std::string &path) {
  try {
    data::read_idx(path);
  } catch (const Error &e) {
    return e.what();
  }
  return "";
}
} // namespace

TEST_CASE("IDX files, raw or gzip; a gzip stream cut before its trailer or with a bad CRC is refused", "[datasets]") {
  std::string raw = idx_bytes(), gz = gzipped(raw);
  for (const std::string &bytes : {raw, gz}) {
    data::IdxArray a = data::read_idx(temp_file("ok.idx", bytes));
    CHECK(a.shape == std::vector<int64_t>{2, 3});
    CHECK(a.bytes == std::vector<uint8_t>{0, 1, 2, 3, 4, 5});
  }
  // The last 8 bytes are the trailer (CRC-32, length): the data inflates fully without them.
  std::string cut = error_of(temp_file("cut.idx.gz", gz.substr(0, gz.size() - 8)));
  CHECK(cut.find("cannot decompress: the gzip stream is cut short") != std::string::npos);
  std::string bad_crc = gz;
  bad_crc[bad_crc.size() - 8] = static_cast<char>(bad_crc[bad_crc.size() - 8] ^ 0xff);
  std::string crc = error_of(temp_file("crc.idx.gz", bad_crc));
  CHECK(crc.find("cannot decompress: incorrect data check") != std::string::npos);
  CHECK(error_of(temp_file("half.idx.gz", gz.substr(0, gz.size() / 2))).find("cut short") != std::string::npos);
}

TEST_CASE("an IDX header is checked by its numbers before the data is read or inflated", "[datasets]") {
  auto header = [](std::vector<uint32_t> dims) {
    std::string h("\0\0\x08", 3);
    h += static_cast<char>(dims.size());
    for (uint32_t d : dims)
      for (int shift : {24, 16, 8, 0}) h += static_cast<char>((d >> shift) & 0xff);
    return h;
  };
  // 2^31 x 2^31 bytes promised by a gzip file of a few dozen bytes: refused before inflating further.
  std::string huge = error_of(temp_file("huge.idx.gz", gzipped(header({1u << 31, 1u << 31}) + std::string(64, '\0'))));
  CHECK(huge.find("the header promises 4611686018427387904 bytes of data ([2147483648, 2147483648]), more than a") != std::string::npos);
  // More data inflates than the header promises (6 bytes).
  std::string extra = error_of(temp_file("extra.idx.gz", gzipped(header({2, 3}) + std::string(100000, '\1'))));
  CHECK(extra.find("more data than the header promises (6 bytes, [2, 3])") != std::string::npos);
  // Dimensions whose product does not fit 64 bits.
  std::string overflow = error_of(temp_file("overflow.idx", header({0xffffffffu, 0xffffffffu, 0xffffffffu, 2})));
  CHECK(overflow.find("multiply to more than 2^64 bytes") != std::string::npos);
  CHECK(error_of(temp_file("short.idx", header({5}) + "abc")).find("the header promises 5 bytes of data ([5]), the file has 3") != std::string::npos);
}

TEST_CASE("npy: a shape too large for memory or for the file is refused by its numbers") {
  auto error = [](const std::string &path) {
    try {
      npy::read(path);
    } catch (const std::exception &e) {
      return std::string(e.what());
    }
    return std::string();
  };
  // 2^40 x 2^40 elements overflow 64 bits; 2^62 x 8-byte elements overflow the byte count (it would wrap to 0).
  CHECK(error(npy_file("huge.npy", "<f4", "(1099511627776, 1099511627776)", "")).find("more elements than memory can hold") != std::string::npos);
  CHECK(error(npy_file("wrap.npy", "<f8", "(4611686018427387904,)", "")).find("more bytes than memory can hold") != std::string::npos);
  CHECK(error(npy_file("short.npy", "<f4", "(1000,)", std::string(8, '\0'))).find("the data is truncated: expected 4000 bytes") != std::string::npos);
  CHECK(error(npy_file("width.npy", "<fX", "(1,)", std::string(8, '\0'))).find("unsupported element type '<fX'") != std::string::npos);
  // Only sizes make a shape; the data is exactly what the shape holds.
  CHECK(error(npy_file("negative.npy", "<f4", "(-2, 4)", std::string(32, '\0'))).find("the shape (-2, 4) is not a tuple of sizes") != std::string::npos);
  CHECK(error(npy_file("words.npy", "<f4", "(two, 4)", std::string(32, '\0'))).find("the shape (two, 4) is not a tuple of sizes") != std::string::npos);
  CHECK(error(npy_file("long.npy", "<f4", "(2,)", std::string(12, '\0'))).find("4 bytes follow the 8 bytes of data the shape (2,) holds") != std::string::npos);
}

TEST_CASE("npy: shapes of every rank parse, with or without a trailing comma") {
  CHECK(npy::read(npy_file("scalar.npy", "<f4", "()", std::string(4, '\0'))).shape.empty());
  CHECK(npy::read(npy_file("vector.npy", "<f4", "(3,)", std::string(12, '\0'))).shape == std::vector<int64_t>{3});
  CHECK(npy::read(npy_file("matrix.npy", "<f4", "(2, 3)", std::string(24, '\0'))).shape == std::vector<int64_t>{2, 3});
  CHECK(npy::read(npy_file("trailing.npy", "<f4", "(2, 3, )", std::string(24, '\0'))).shape == std::vector<int64_t>{2, 3});
  CHECK(npy::read(npy_file("empty.npy", "<f4", "(0, 3)", "")).shape == std::vector<int64_t>{0, 3});
}

TEST_CASE("text: windows of ids and the next character; held-out chunks never reach a training window") {
  // 400 different characters (U+0100..U+028F, two bytes each in UTF-8):
  // id i is the character at position i, so each window says where it was.
  std::string text;
  for (char32_t c = 0x100; c < 0x100 + 400; ++c) text += static_cast<char>(0xC0 | (c >> 6)), text += static_cast<char>(0x80 | (c & 0x3F));
  std::string path = temp_file("distinct.txt", text);
  auto starts = [](const data::Dataset &d) { // each row's first position; x and y consecutive from there
    std::vector<int32_t> out;
    const int32_t *x = d.fields.at("x").data<int32_t>(), *y = d.fields.at("y").data<int32_t>();
    for (int64_t r = 0; r < d.rows; ++r) {
      for (int t = 0; t < 4; ++t) {
        CHECK(x[r * 4 + t] == x[r * 4] + t);
        CHECK(y[r * 4 + t] == x[r * 4] + t + 1);
      }
      out.push_back(x[r * 4]);
    }
    return out;
  };
  // Context 4: chunks of 4 x 5 = 20 characters; round(0.1 x 20) = 2 held out.
  data::Splits s = data::load("text:" + path + ",context=4");
  REQUIRE(s.test);
  CHECK(s.train.vocabulary.size() == text.size());
  CHECK(s.train.vocabulary == s.test->vocabulary);
  std::vector<bool> held(400, false);
  std::vector<int32_t> test_starts = starts(*s.test);
  CHECK((test_starts.size() == 2 * 16 || test_starts.size() == 40 - 4)); // two chunks apart, or adjacent
  for (int32_t p : test_starts)
    for (int i = p; i < p + 5; ++i) held[static_cast<size_t>(i)] = true;
  std::vector<int32_t> train_starts = starts(s.train);
  for (int32_t p : train_starts)
    for (int i = p; i < p + 5; ++i) CHECK_FALSE(held[static_cast<size_t>(i)]);
  CHECK(std::count(held.begin(), held.end(), true) == 40);
  CHECK(train_starts.size() + test_starts.size() >= 396 - 4 * 4); // of 396: 4 lost where the parts meet, at most 4 times
  // The same chunks every time (not the training seed's); holdout=tail is the end.
  CHECK(starts(*data::load("text:" + path + ",context=4").test) == test_starts);
  data::Splits tail = data::load("text:" + path + ",context=4,holdout=tail,stride=2");
  std::vector<int32_t> tail_starts = starts(*tail.test);
  REQUIRE(tail_starts.size() == 18);
  CHECK(tail_starts.front() == 360);
  CHECK(tail_starts.back() == 394);
}
