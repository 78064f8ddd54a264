#include "webhook/yaml_json.h"

#include <yaml.h>

#include <memory>
#include <unordered_map>

#include "rules/decode.h"
#include "webhook/json_text.h"
#include "webhook/yaml_scalar.h"

namespace seiguard {
namespace {

// Aliases may repeat text; past this many bytes of JSON the input is refused
// rather than allowed to grow memory without bound.
constexpr size_t kMaxJsonBytes = 16u << 20;

struct Node {
  enum class Type : uint8_t { kScalar, kSequence, kMapping, kAlias };
  Type type = Type::kScalar;
  bool plain = false;  // scalar: unquoted
  uint32_t line = 0, column = 0;  // 1-based, in the file
  uint32_t text = 0, text_len = 0;  // scalar: value; alias: anchor name (in pool_)
  uint32_t tag = 0, tag_len = 0;    // in pool_
  uint32_t kids = 0, kid_count = 0;  // in kids_: items, or key, value, key, value...
  uint32_t target = 0;               // alias: the anchored node
};

// One entry of a mapping being built: its key (JSON text in key_pool_) and
// its value.
struct Entry {
  uint32_t key_offset, key_length;
  uint64_t hash;     // of the key text
  int key_type;      // the Go type go-yaml gave the key (YamlScalar::Type)
  uint32_t value;    // node
  uint64_t setter;   // the Collect call whose literal key set it last
};

uint64_t Fnv1a(std::string_view s) {
  uint64_t h = 1469598103934665603ull;
  for (unsigned char c : s) h = (h ^ c) * 1099511628211ull;
  return h;
}

// go-yaml v2's limit on documents made mostly of alias expansion.
double AllowedAliasRatio(double decodes) {
  constexpr double kLow = 400000, kHigh = 4000000;
  if (decodes <= kLow) return 0.99;
  if (decodes >= kHigh) return 0.10;
  return 0.99 - 0.89 * ((decodes - kLow) / (kHigh - kLow));
}

class Converter {
 public:
  Converter() : entries_(kMaxJsonDepth + 2), index_(kMaxJsonDepth + 2) {}

  StatusOr<std::vector<YamlDocument>> Run(std::string_view text, size_t first_line, size_t max_documents) {
    line_offset_ = first_line - 1;
    max_documents_ = max_documents;
    depth_ = 0;
    // Scalar text is never longer than its source; a node takes a dozen
    // bytes of source or more. Room made once saves the copies of growth.
    pool_.reserve(text.size());
    nodes_.reserve(text.size() / 8 + 16);
    kids_.reserve(text.size() / 8 + 16);
    text_size_ = text.size();
    StatusOr<std::vector<YamlDocument>> docs = Parse(text);
    // The buffers are kept for the next call on this thread, unless a large
    // document made them large.
    if (pool_.capacity() > kKeepBytes || nodes_.capacity() * sizeof(Node) > kKeepBytes) {
      std::string().swap(pool_);
      std::vector<Node>().swap(nodes_);
      std::vector<uint32_t>().swap(kids_);
      std::string().swap(key_pool_);
    }
    return docs;
  }

 private:
  // seiguard reads YAML in the CLI (check, the policy file), never per
  // request: keeping a few tens of MiB between files costs nothing there.
  static constexpr size_t kKeepBytes = 64u << 20;

  StatusOr<std::vector<YamlDocument>> Parse(std::string_view text) {
    yaml_parser_t parser;
    if (!yaml_parser_initialize(&parser)) return Status::Error("out of memory");
    std::unique_ptr<yaml_parser_t, void (*)(yaml_parser_t*)> guard(&parser, yaml_parser_delete);
    yaml_parser_set_input_string(&parser, reinterpret_cast<const unsigned char*>(text.data()), text.size());
    std::vector<YamlDocument> docs;
    while (docs.size() < max_documents_) {
      yaml_event_t event;
      if (!yaml_parser_parse(&parser, &event)) {
        return ErrorAt(parser.problem_mark.line, parser.problem_mark.column,
                       (parser.context ? std::string(parser.context) + ": " : std::string()) +
                           (parser.problem ? parser.problem : "syntax error"));
      }
      std::unique_ptr<yaml_event_t, void (*)(yaml_event_t*)> ev(&event, yaml_event_delete);
      if (event.type == YAML_STREAM_END_EVENT) break;
      Status s = Handle(event, &docs);
      if (!s.ok()) return s;
    }
    return docs;
  }

  Status ErrorAt(size_t line0, size_t column0, const std::string& what) const {
    return Status::Error(std::to_string(line0 + 1 + line_offset_) + ":" + std::to_string(column0 + 1) + ": " + what);
  }
  Status ErrorAt(const Node& n, const std::string& what) const {
    return Status::Error(std::to_string(n.line) + ":" + std::to_string(n.column) + ": " + what);
  }

  std::string_view Text(const Node& n) const { return std::string_view(pool_).substr(n.text, n.text_len); }
  std::string_view Tag(const Node& n) const { return std::string_view(pool_).substr(n.tag, n.tag_len); }
  uint32_t Kid(const Node& n, size_t i) const { return kids_[n.kids + i]; }

  uint32_t Pool(const yaml_char_t* s, size_t len, uint32_t* offset) {
    *offset = static_cast<uint32_t>(pool_.size());
    if (s != nullptr) pool_.append(reinterpret_cast<const char*>(s), len);
    return static_cast<uint32_t>(len);
  }
  uint32_t Pool(const yaml_char_t* s, uint32_t* offset) {
    return Pool(s, s == nullptr ? 0 : std::char_traits<char>::length(reinterpret_cast<const char*>(s)), offset);
  }

  // Adds a node and makes it a child of the open collection, if any.
  Node& NewNode(Node::Type type, const yaml_mark_t& mark, const yaml_char_t* anchor) {
    uint32_t index = static_cast<uint32_t>(nodes_.size());
    nodes_.emplace_back();
    Node& n = nodes_.back();
    n.type = type;
    n.line = static_cast<uint32_t>(mark.line + 1 + line_offset_);
    n.column = static_cast<uint32_t>(mark.column + 1);
    if (depth_ > 0) {
      open_[depth_ - 1].push_back(index);
    } else {
      root_ = index;
    }
    if (anchor != nullptr) anchors_[reinterpret_cast<const char*>(anchor)] = index;
    return n;
  }

  Status Handle(const yaml_event_t& e, std::vector<YamlDocument>* docs) {
    switch (e.type) {
      case YAML_DOCUMENT_START_EVENT:
        nodes_.clear();
        kids_.clear();
        pool_.clear();
        anchors_.clear();
        has_alias_ = false;
        doc_line_ = e.start_mark.line + 1 + line_offset_;
        return Status();
      case YAML_DOCUMENT_END_EVENT: {
        YamlDocument doc;
        doc.line = doc_line_;
        Status s = Emit(&doc);
        if (!s.ok()) return s;
        docs->push_back(std::move(doc));
        return Status();
      }
      case YAML_SCALAR_EVENT: {
        Node& n = NewNode(Node::Type::kScalar, e.start_mark, e.data.scalar.anchor);
        n.plain = e.data.scalar.plain_implicit;
        n.text_len = Pool(e.data.scalar.value, e.data.scalar.length, &n.text);
        n.tag_len = Pool(e.data.scalar.tag, &n.tag);
        return Status();
      }
      case YAML_ALIAS_EVENT: {
        auto it = anchors_.find(reinterpret_cast<const char*>(e.data.alias.anchor));
        if (it == anchors_.end()) {
          return ErrorAt(e.start_mark.line, e.start_mark.column,
                         "unknown anchor '" + std::string(reinterpret_cast<const char*>(e.data.alias.anchor)) +
                             "' referenced");
        }
        uint32_t target = it->second;
        Node& n = NewNode(Node::Type::kAlias, e.start_mark, nullptr);
        n.target = target;
        n.text_len = Pool(e.data.alias.anchor, &n.text);
        has_alias_ = true;
        return Status();
      }
      case YAML_SEQUENCE_START_EVENT:
      case YAML_MAPPING_START_EVENT: {
        if (depth_ >= kMaxJsonDepth) {
          return ErrorAt(e.start_mark.line, e.start_mark.column,
                         "nested deeper than " + std::to_string(kMaxJsonDepth) + " levels");
        }
        bool mapping = e.type == YAML_MAPPING_START_EVENT;
        NewNode(mapping ? Node::Type::kMapping : Node::Type::kSequence, e.start_mark,
                mapping ? e.data.mapping_start.anchor : e.data.sequence_start.anchor);
        if (depth_ == open_.size()) open_.emplace_back();
        open_[depth_].clear();
        open_node_.resize(depth_ + 1);
        open_node_[depth_] = static_cast<uint32_t>(nodes_.size() - 1);
        ++depth_;
        return Status();
      }
      case YAML_SEQUENCE_END_EVENT:
      case YAML_MAPPING_END_EVENT: {
        --depth_;
        Node& n = nodes_[open_node_[depth_]];
        n.kids = static_cast<uint32_t>(kids_.size());
        n.kid_count = static_cast<uint32_t>(open_[depth_].size());
        kids_.insert(kids_.end(), open_[depth_].begin(), open_[depth_].end());
        return Status();
      }
      default:
        return Status();
    }
  }

  // --- JSON out -------------------------------------------------------------

  Status Emit(YamlDocument* doc) {
    out_ = &doc->json;
    out_->reserve(text_size_ + 16);  // compact JSON is rarely longer than its YAML
    marks_ = &doc->marks;
    serial_ = 0;
    written_.clear();
    // Count walks every alias first and refuses an anchor that contains
    // itself, so Value and Merge below never loop.
    if (has_alias_) {
      decodes_ = 1;  // go-yaml counts the document node too
      aliased_ = 0;
      sizes_.clear();
      Status s = Count(root_);
      if (!s.ok()) return s;
    }
    return Value(root_, 0);
  }

  void Mark(const Node& n) { marks_->push_back({static_cast<uint32_t>(out_->size()), n.line, n.column}); }

  // True for a scalar whose text is its value as it stands (a quoted
  // string, or plain text no YAML 1.1 type can start): nothing to resolve.
  bool Verbatim(const Node& n) const { return n.tag_len == 0 && (!n.plain || PlainIsString(Text(n))); }

  Status Value(uint32_t index, size_t depth) {
    if (depth > kMaxJsonDepth) {
      return ErrorAt(nodes_[index], "nested deeper than " + std::to_string(kMaxJsonDepth) + " levels");
    }
    if (out_->size() > kMaxJsonBytes) return ErrorAt(nodes_[index], "aliases expand to more than 16 MiB");
    const Node& n = nodes_[index];
    switch (n.type) {
      case Node::Type::kAlias: {
        // An anchor's JSON is the same wherever it is repeated: written
        // once, then copied with its marks (unless deeper than before,
        // where the nesting limit must be checked again).
        auto cached = written_.find(n.target);
        if (cached != written_.end() && depth <= cached->second.depth) {
          const Written w = cached->second;
          if (out_->size() + w.length > kMaxJsonBytes) return ErrorAt(n, "aliases expand to more than 16 MiB");
          size_t shift = out_->size() - w.offset;
          out_->append(*out_, w.offset, w.length);  // safe from itself; grows geometrically
          for (size_t i = w.mark_begin; i < w.mark_end; ++i) {
            NodeMark m = (*marks_)[i];
            m.json_offset += static_cast<uint32_t>(shift);
            marks_->push_back(m);
          }
          return Status();
        }
        size_t offset = out_->size(), mark_begin = marks_->size();
        Status s = Value(n.target, depth);
        if (s.ok()) written_[n.target] = {offset, out_->size() - offset, mark_begin, marks_->size(), depth};
        return s;
      }
      case Node::Type::kScalar: {
        Mark(n);
        if (Verbatim(n)) {  // most scalars
          AppendJsonString(*out_, Text(n));
          return Status();
        }
        StatusOr<YamlScalar> v = ResolveYamlScalar(Text(n), n.plain, Tag(n));
        if (!v.ok()) return ErrorAt(n, v.status().message());
        Status s = AppendYamlScalarJson(*out_, *v);
        return s.ok() ? s : ErrorAt(n, s.message());
      }
      case Node::Type::kSequence: {
        Mark(n);
        *out_ += '[';
        for (uint32_t i = 0; i < n.kid_count; ++i) {
          if (i > 0) *out_ += ',';
          Status s = Value(Kid(n, i), depth + 1);
          if (!s.ok()) return s;
        }
        *out_ += ']';
        return Status();
      }
      case Node::Type::kMapping: {
        // Entries and keys live in buffers kept across mappings, one per
        // depth; this mapping's keys are dropped from the pool when done.
        std::vector<Entry>& entries = entries_[depth];
        entries.clear();
        index_[depth].clear();
        size_t pool_mark = key_pool_.size();
        Status s = Collect(index, depth);
        if (!s.ok()) return s;
        Mark(n);
        *out_ += '{';
        for (size_t i = 0; i < entries.size(); ++i) {
          if (i > 0) *out_ += ',';
          out_->append(key_pool_, entries[i].key_offset, entries[i].key_length);
          *out_ += ':';
          s = Value(entries[i].value, depth + 1);
          if (!s.ok()) return s;
        }
        *out_ += '}';
        key_pool_.resize(pool_mark);
        return Status();
      }
    }
    return Status();
  }

  // Appends the key of a mapping entry to key_pool_, as a JSON string
  // literal; `type` is the Go type go-yaml gave it (1 and "1" are two keys
  // to go-yaml, and one JSON key).
  Status Key(uint32_t index, int* type) {
    const Node* n = &nodes_[index];
    if (n->type == Node::Type::kAlias) n = &nodes_[n->target];
    if (n->type != Node::Type::kScalar) return ErrorAt(nodes_[index], "invalid map key: a mapping or a list");
    *type = static_cast<int>(YamlScalar::Type::kString);
    if (Verbatim(*n)) {
      AppendJsonString(key_pool_, Text(*n));
      return Status();
    }
    StatusOr<YamlScalar> v = ResolveYamlScalar(Text(*n), n->plain, Tag(*n));
    if (!v.ok()) return ErrorAt(*n, v.status().message());
    StatusOr<std::string> text = YamlScalarKey(*v);
    if (!text.ok()) return ErrorAt(*n, text.status().message());
    *type = static_cast<int>(v->type);
    AppendJsonString(key_pool_, *text);
    return Status();
  }

  // go-yaml's mapping(): sets the entries of mapping `index` into the entries
  // of `depth`, in order, a merge key's entries where it stands.
  Status Collect(uint32_t index, size_t depth) {
    const Node& n = nodes_[index];
    std::vector<Entry>& entries = entries_[depth];
    uint64_t serial = ++serial_;
    for (uint32_t i = 0; i + 1 < n.kid_count; i += 2) {
      const Node& k = nodes_[Kid(n, i)];
      uint32_t value = Kid(n, i + 1);
      if (k.type == Node::Type::kScalar && IsMergeKey(Text(k), k.plain, Tag(k))) {
        Status s = Merge(value, depth);
        if (!s.ok()) return s;
        continue;
      }
      size_t start = key_pool_.size();
      int type = 0;
      Status s = Key(Kid(n, i), &type);
      if (!s.ok()) return s;
      std::string_view key = std::string_view(key_pool_).substr(start);
      uint64_t hash = Fnv1a(key);
      Entry* existing = Find(depth, key, hash);
      if (existing == nullptr) {
        entries.push_back({static_cast<uint32_t>(start), static_cast<uint32_t>(key.size()), hash, type, value, serial});
        if (entries.size() > kLinearSearch) Index(depth);
        continue;
      }
      key_pool_.resize(start);  // known already
      if (existing->key_type != type) {
        return ErrorAt(k, "two keys of this mapping become the JSON key " +
                              std::string(key_pool_, existing->key_offset, existing->key_length) +
                              " (say, 1 and \"1\"); kubectl keeps one of them at random: write one");
      }
      if (existing->setter == serial) {
        return ErrorAt(k, "duplicate key " + std::string(key_pool_, existing->key_offset, existing->key_length) +
                              " (kubectl would keep the last value silently; write the key once)");
      }
      existing->value = value;
      existing->setter = serial;
    }
    return Status();
  }

  Status Merge(uint32_t index, size_t depth) {
    const Node& n = nodes_[index];
    auto is_map = [&](const Node& m) {
      return m.type == Node::Type::kMapping ||
             (m.type == Node::Type::kAlias && nodes_[m.target].type == Node::Type::kMapping);
    };
    auto merge_one = [&](uint32_t item) -> Status {
      const Node& m = nodes_[item];
      if (!is_map(m)) return ErrorAt(m, "map merge requires map or sequence of maps as the value");
      return Collect(m.type == Node::Type::kMapping ? item : m.target, depth);
    };
    if (n.type != Node::Type::kSequence) return merge_one(index);
    for (uint32_t i = n.kid_count; i-- > 0;) {  // earlier mappings take precedence
      Status s = merge_one(Kid(n, i));
      if (!s.ok()) return s;
    }
    return Status();
  }

  // Mappings of up to kLinearSearch keys are searched in order; larger ones
  // (a hostile file may hold a million keys) through a hash index.
  static constexpr size_t kLinearSearch = 16;

  Entry* Find(size_t depth, std::string_view key, uint64_t hash) {
    std::vector<Entry>& entries = entries_[depth];
    auto same = [&](const Entry& e) {
      return e.hash == hash && std::string_view(key_pool_).substr(e.key_offset, e.key_length) == key;
    };
    if (entries.size() <= kLinearSearch) {
      for (Entry& e : entries) {
        if (same(e)) return &e;
      }
      return nullptr;
    }
    auto [first, last] = index_[depth].equal_range(hash);
    for (auto it = first; it != last; ++it) {
      if (same(entries[it->second])) return &entries[it->second];
    }
    return nullptr;
  }
  void Index(size_t depth) {
    std::vector<Entry>& entries = entries_[depth];
    auto& index = index_[depth];
    for (size_t i = index.size(); i < entries.size(); ++i) index.emplace(entries[i].hash, static_cast<uint32_t>(i));
  }

  // go-yaml's refusal of documents made mostly of alias expansion, counted as
  // go-yaml counts its decode steps (every node, keys too; an alias and then
  // its anchor's nodes; the mappings of a merge list but not the list).
  // Within one alias expansion every step is an aliased one, so the ratio
  // only grows there and only falls outside: checking at the end of each
  // outermost expansion finds every document go-yaml refuses, and each
  // anchor's size is counted once, however often it is repeated.
  Status Count(uint32_t index) {
    const Node& n = nodes_[index];
    if (n.type == Node::Type::kAlias) {
      uint64_t size = 0;
      Status s = Size(n.target, &size);
      if (!s.ok()) return s;
      decodes_ = Add(decodes_, Add(size, 1));
      aliased_ = Add(aliased_, size);
      if (aliased_ > 100 && decodes_ > 1000 &&
          static_cast<double>(aliased_) / static_cast<double>(decodes_) >
              AllowedAliasRatio(static_cast<double>(decodes_))) {
        return ErrorAt(n, "document contains excessive aliasing");
      }
      return Status();
    }
    ++decodes_;
    return ForEachDecoded(n, [&](uint32_t child) { return Count(child); });
  }

  // Calls fn for the nodes go-yaml decodes right below `n`.
  template <typename Fn>
  Status ForEachDecoded(const Node& n, Fn fn) {
    if (n.type == Node::Type::kSequence) {
      for (uint32_t i = 0; i < n.kid_count; ++i) {
        Status s = fn(Kid(n, i));
        if (!s.ok()) return s;
      }
    } else if (n.type == Node::Type::kMapping) {
      for (uint32_t i = 0; i + 1 < n.kid_count; i += 2) {
        const Node& k = nodes_[Kid(n, i)];
        const Node& v = nodes_[Kid(n, i + 1)];
        Status s;
        if (k.type == Node::Type::kScalar && IsMergeKey(Text(k), k.plain, Tag(k)) && v.type == Node::Type::kSequence) {
          for (uint32_t j = 0; j < v.kid_count && s.ok(); ++j) s = fn(Kid(v, j));
        } else if (k.type == Node::Type::kScalar && IsMergeKey(Text(k), k.plain, Tag(k))) {
          s = fn(Kid(n, i + 1));
        } else {
          s = fn(Kid(n, i));
          if (s.ok()) s = fn(Kid(n, i + 1));
        }
        if (!s.ok()) return s;
      }
    }
    return Status();
  }

  // The decode steps of node `index` and all below it, aliases expanded;
  // an alias met inside its own anchor is go-yaml's "contains itself".
  Status Size(uint32_t index, uint64_t* size) {
    if (sizes_.empty()) sizes_.assign(nodes_.size(), kUnknown);
    if (sizes_[index] == kInProgress) {
      return ErrorAt(nodes_[index], "anchor value contains itself");
    }
    if (sizes_[index] != kUnknown) {
      *size = sizes_[index];
      return Status();
    }
    const Node& n = nodes_[index];
    sizes_[index] = kInProgress;
    uint64_t total = 1;
    Status s;
    if (n.type == Node::Type::kAlias) {
      uint64_t target = 0;
      s = Size(n.target, &target);
      if (!s.ok()) return ErrorAt(n, "anchor '" + std::string(Text(n)) + "' value contains itself");
      total = Add(total, target);
    } else {
      s = ForEachDecoded(n, [&](uint32_t child) {
        uint64_t part = 0;
        Status cs = Size(child, &part);
        total = Add(total, part);
        return cs;
      });
      if (!s.ok()) return s;
    }
    sizes_[index] = total;
    *size = total;
    return Status();
  }

  static uint64_t Add(uint64_t a, uint64_t b) { return a > kSaturated - b ? kSaturated : a + b; }
  static constexpr uint64_t kSaturated = uint64_t{1} << 60;
  static constexpr uint64_t kUnknown = ~uint64_t{0};
  static constexpr uint64_t kInProgress = ~uint64_t{0} - 1;

  // The document being read.
  std::vector<Node> nodes_;
  std::vector<uint32_t> kids_;
  std::string pool_;
  std::unordered_map<std::string, uint32_t> anchors_;  // the latest node of each name
  std::vector<std::vector<uint32_t>> open_;  // children of the open collections
  std::vector<uint32_t> open_node_;
  size_t depth_ = 0;
  uint32_t root_ = 0;
  bool has_alias_ = false;
  size_t doc_line_ = 0;

  // Writing it out.
  std::string* out_ = nullptr;
  std::vector<NodeMark>* marks_ = nullptr;
  std::vector<std::vector<Entry>> entries_;  // of the mapping being written at each depth
  std::vector<std::unordered_multimap<uint64_t, uint32_t>> index_;  // for large ones
  std::string key_pool_;
  uint64_t serial_ = 0;
  uint64_t decodes_ = 0, aliased_ = 0;
  std::vector<uint64_t> sizes_;  // decode steps below each node, once known
  // Where each anchor's JSON was first written (aliases copy it).
  struct Written {
    size_t offset, length, mark_begin, mark_end, depth;
  };
  std::unordered_map<uint32_t, Written> written_;

  size_t line_offset_ = 0;
  size_t max_documents_ = 0;
  size_t text_size_ = 0;
};

}  // namespace

StatusOr<std::vector<YamlDocument>> YamlToJson(std::string_view text, size_t first_line, size_t max_documents) {
  thread_local Converter converter;
  return converter.Run(text, first_line, max_documents);
}

}  // namespace seiguard
