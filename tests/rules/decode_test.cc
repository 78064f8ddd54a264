#include "rules/decode.h"
#include "rules/trail.h"

#include <gtest/gtest.h>

#include <cstring>

#include <string>

namespace seiguard {
namespace {

// The model borrows text from the parser's document (model.h): the parser
// must outlive the object, so it is kept here until the next Decode call.
StatusOr<Object> Decode(const std::string& json, Kind kind = Kind::kPod) {
  static JsonParser parser;
  auto root = parser.Parse(json);
  if (!root.ok()) return root.status();
  return DecodeObject(*root, kind);
}

std::string Nested(size_t depth) {
  return std::string(depth, '[') + std::string(depth, ']');
}

TEST(Trail, NamesThePathAndSurvivesMoreLevelsThanItHasRoomFor) {
  Trail t;
  auto dotted = [&t] {
    Path p = t.ToPath();
    return std::string(p.Dotted());
  };
  t.PushKey("spec");
  t.PushKey("containers");
  t.PushIndex(2);
  EXPECT_EQ(dotted(), "spec.containers[2]");
  t.Pop();
  t.PushKey("sei.io/node");
  Path p = t.ToPath();
  EXPECT_EQ(p.Pointer(), "/spec/containers/sei.io~1node");
  t.Pop();
  t.Pop();
  t.Pop();
  EXPECT_TRUE(t.ToPath().empty());

  for (size_t i = 0; i < kMaxJsonDepth + 10; ++i) t.PushIndex(i);  // never happens: cut, not overrun
  std::string deep = dotted();
  EXPECT_EQ(deep.substr(deep.size() - 4), "[64]");
  for (size_t i = 0; i < kMaxJsonDepth + 10; ++i) t.Pop();
  t.PushKey("again");
  EXPECT_EQ(dotted(), "again");
}

TEST(JsonParser, AcceptsExactlyTheDepthLimit) {
  JsonParser parser;
  EXPECT_TRUE(parser.Parse(Nested(kMaxJsonDepth)).ok());
  auto deep = parser.Parse(Nested(kMaxJsonDepth + 1));
  ASSERT_FALSE(deep.ok());
  EXPECT_EQ(deep.status().message(), "JSON nested deeper than 64 levels");
}

TEST(JsonParser, RefusesADepthBombWithoutRecursion) {
  JsonParser parser;
  EXPECT_FALSE(parser.Parse(Nested(1000000)).ok());
}

TEST(JsonParser, ReportsInvalidJsonAndEmptyInput) {
  JsonParser parser;
  EXPECT_NE(parser.Parse("{\"a\":").status().message().find("invalid JSON"), std::string::npos);
  EXPECT_EQ(parser.Parse("").status().message(), "empty document");
}

TEST(JsonParser, ParsesItsOwnBufferWithoutReadingPastIt) {
  JsonParser parser;
  const std::string doc = R"({"a":[1,2,{"b":"c"}]})";
  char* buffer = parser.Buffer(doc.size());
  std::memcpy(buffer, doc.data(), doc.size());
  buffer[doc.size()] = '}';  // what follows the document is not part of it
  auto root = parser.Parse(std::string_view(buffer, doc.size()));
  ASSERT_TRUE(root.ok()) << root.status().message();
  EXPECT_EQ(simdjson::to_string(*root), doc);
  // A document from elsewhere is copied in, as before; then the buffer again.
  ASSERT_TRUE(parser.Parse("[true]").ok());
  buffer = parser.Buffer(4);
  std::memcpy(buffer, "[1,", 3);
  EXPECT_FALSE(parser.Parse(std::string_view(buffer, 3)).ok());
}

TEST(Decode, ReadsContainersInOrderInitFirst) {
  auto obj = Decode(R"({"spec":{"containers":[{"name":"b"}],"initContainers":[{"name":"a","restartPolicy":"Always"}]}})");
  ASSERT_TRUE(obj.ok()) << obj.status().message();
  ASSERT_EQ(obj->pod.containers.size(), 2u);
  EXPECT_EQ(obj->pod.containers[0].name, "a");
  EXPECT_TRUE(obj->pod.containers[0].init);
  EXPECT_TRUE(obj->pod.containers[0].restart_always);
  Path second = obj->pod.ContainerPath(obj->pod.containers[1]);
  EXPECT_EQ(second.Dotted(), "spec.containers[0]");
}

TEST(Decode, RefusesADuplicateKeyThatCouldHideArguments) {
  auto obj = Decode(R"({"spec":{"containers":[{"name":"p","args":["--ignore-paths=/x"],"args":[]}]}})");
  ASSERT_FALSE(obj.ok());
  EXPECT_EQ(obj.status().message(), "spec.containers[0].args: duplicate key");
}

TEST(Decode, RefusesDuplicateLabels) {
  auto obj = Decode(R"({"metadata":{"labels":{"sei.io/node":"a","sei.io/node":"b"}}})");
  ASSERT_FALSE(obj.ok());
  EXPECT_EQ(obj.status().message(), "metadata.labels[\"sei.io/node\"]: duplicate key");
}

TEST(Decode, TreatsNullAsAbsent) {
  auto obj = Decode(R"({"metadata":{"labels":null},"spec":{"containers":[{"name":"x","ports":null,"env":null,"livenessProbe":null}]}})");
  ASSERT_TRUE(obj.ok()) << obj.status().message();
  EXPECT_FALSE(obj->meta.has_labels);
  EXPECT_FALSE(obj->pod.containers[0].has_ports);
  EXPECT_TRUE(obj->pod.containers[0].probes.empty());
}

TEST(Decode, NamesThePathOfAWrongType) {
  EXPECT_EQ(Decode(R"({"spec":{"containers":"x"}})").status().message(),
            "spec.containers: expected an array, got a string");
  EXPECT_EQ(Decode(R"({"spec":{"containers":[{"ports":[{"containerPort":true}]}]}})").status().message(),
            "spec.containers[0].ports[0].containerPort: expected an integer, got a boolean");
  EXPECT_EQ(Decode(R"({"spec":{"containers":[{"livenessProbe":{"grpc":{"port":"api"}}}]}})").status().message(),
            "spec.containers[0].livenessProbe.grpc.port: expected an integer, got a string");
  EXPECT_EQ(Decode("[1]").status().message(), "object: expected an object, got an array");
}

TEST(Decode, RefusesIntegersThatWouldTruncate) {
  EXPECT_FALSE(Decode(R"({"spec":{"containers":[{"ports":[{"containerPort":2147483648}]}]}})").ok());
  EXPECT_FALSE(Decode(R"({"spec":{"containers":[{"ports":[{"containerPort":18446744073709551615}]}]}})").ok());
  EXPECT_FALSE(Decode(R"({"spec":{"containers":[{"ports":[{"containerPort":8443.5}]}]}})").ok());
  EXPECT_FALSE(Decode(R"({"spec":{"containers":[{"ports":[{"containerPort":2.5e9}]}]}})").ok());
}

TEST(Decode, ReadsIntegralFloatsAsKubectlSendsThem) {
  // kubectl holds manifest numbers as float64 and sends 8443.0 as 8443.
  auto obj = Decode(R"({"spec":{"containers":[{"ports":[{"containerPort":8443.0}]},{"ports":[{"containerPort":8.443e3}]}]}})");
  ASSERT_TRUE(obj.ok()) << obj.status().message();
  EXPECT_EQ(obj->pod.containers[0].ports[0].container_port, 8443);
  EXPECT_EQ(obj->pod.containers[1].ports[0].container_port, 8443);
}

TEST(Decode, KeepsEveryProbeHandler) {
  auto obj = Decode(R"({"spec":{"containers":[{"readinessProbe":{"exec":{},"tcpSocket":{"port":"api"},"httpGet":{"port":8443,"path":"/x"}}}]}})");
  ASSERT_TRUE(obj.ok());
  ASSERT_EQ(obj->pod.containers[0].probes.size(), 2u);
}

TEST(Decode, FindsTemplatesOfEveryWorkload) {
  const std::string tmpl = R"({"metadata":{"labels":{"a":"b"}},"spec":{"containers":[{"name":"c"}]}})";
  for (Kind k : {Kind::kDeployment, Kind::kStatefulSet, Kind::kDaemonSet, Kind::kReplicaSet, Kind::kJob}) {
    auto obj = Decode(R"({"spec":{"template":)" + tmpl + "}}", k);
    ASSERT_TRUE(obj.ok());
    EXPECT_EQ(obj->pod.containers.size(), 1u);
    EXPECT_EQ(obj->pod.spec_path.Dotted(), "spec.template.spec");
  }
  auto cron = Decode(R"({"spec":{"jobTemplate":{"spec":{"template":)" + tmpl + "}}}}", Kind::kCronJob);
  ASSERT_TRUE(cron.ok());
  EXPECT_EQ(cron->pod.containers.size(), 1u);
  EXPECT_EQ(cron->pod.meta_path.Dotted(), "spec.jobTemplate.spec.template.metadata");
}

TEST(Decode, MapsApiVersionAndKind) {
  JsonParser parser;
  EXPECT_EQ(KindOf(*parser.Parse(R"({"apiVersion":"apps/v1","kind":"StatefulSet"})")), Kind::kStatefulSet);
  EXPECT_EQ(KindOf(*parser.Parse(R"({"apiVersion":"batch/v1","kind":"CronJob"})")), Kind::kCronJob);
  EXPECT_EQ(KindOf(*parser.Parse(R"({"apiVersion":"v1","kind":"Pod"})")), Kind::kPod);
  EXPECT_EQ(KindOf(*parser.Parse(R"({"apiVersion":"example.com/v1","kind":"Pod"})")), Kind::kOther);
  EXPECT_EQ(KindOf(*parser.Parse(R"({"kind":5})")), Kind::kOther);
}

}  // namespace
}  // namespace seiguard
