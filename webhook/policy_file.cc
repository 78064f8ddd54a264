#include "webhook/policy_file.h"

#include <cerrno>
#include <cstring>
#include <fstream>

#include <unistd.h>

#include <nlohmann/json.hpp>

#include "webhook/yaml_json.h"

namespace seiguard {

StatusOr<std::string> ReadFileLimited(const std::string& path, size_t max_bytes) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::Error(path + ": cannot read: " + std::strerror(errno));
  std::string data;
  char buf[65536];
  while (in.read(buf, sizeof buf) || in.gcount() > 0) {
    data.append(buf, static_cast<size_t>(in.gcount()));
    if (data.size() > max_bytes) {
      return Status::Error(path + ": larger than " + std::to_string(max_bytes) + " bytes");
    }
  }
  if (in.bad()) return Status::Error(path + ": read error");
  return data;
}

StatusOr<std::string> ReadStdinLimited(size_t max_bytes) {
  std::string data;
  char buf[65536];
  for (ssize_t n; (n = ::read(STDIN_FILENO, buf, sizeof buf)) != 0;) {
    if (n < 0) {
      if (errno == EINTR) continue;
      return Status::Error(std::string("cannot read standard input: ") + std::strerror(errno));
    }
    data.append(buf, static_cast<size_t>(n));
    if (data.size() > max_bytes) return Status::Error("larger than " + std::to_string(max_bytes) + " bytes");
  }
  return data;
}

StatusOr<Policy> LoadPolicyFile(const std::string& path) {
  if (path.empty()) return Policy();
  StatusOr<std::string> text = ReadFileLimited(path, 1u << 20);
  if (!text.ok()) return text.status();
  StatusOr<std::vector<YamlDocument>> docs = YamlToJson(*text);
  if (!docs.ok()) return Status::Error(path + ":" + docs.status().message());
  if (docs->size() > 1) return Status::Error(path + ": holds several documents; a policy is one");
  if (docs->empty()) return Policy();
  nlohmann::json doc = nlohmann::json::parse((*docs)[0].json, nullptr, false);
  if (doc.is_discarded()) return Status::Error(path + ": could not be read as a policy");
  return PolicyFromJson(doc, path);
}

}  // namespace seiguard
