// json_tree.cpp - a parser that builds its tree in a pool, with std::pmr
// containers for the objects and arrays.
//
// A parser makes many small nodes that all die together: a pool is the
// natural home for them. Every node is made with Pool::make (so a node with
// a destructor gets it run when the pool goes); objects and arrays are
// std::pmr containers whose memory comes from the same pool through
// pool.resource(), so the whole document, strings included, is one pool
// that is freed at once. Nothing is deleted one by one.
//
// Usage: json_tree [FILE]   (default: a built-in document)
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <map>
#include <memory_resource>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "mpool/mpool.hpp"

namespace {

struct Node;
using Object = std::pmr::map<std::pmr::string, Node *>;
using Array = std::pmr::vector<Node *>;

struct Node {
    enum Kind { null, boolean, number, string, array, object } kind = null;
    bool flag = false;
    double value = 0;
    std::pmr::string text;
    Array items;
    Object members;
    explicit Node(std::pmr::memory_resource *r) : text(r), items(r), members(r) {}
};

// A recursive-descent parser; everything it makes lives in `pool`.
class Parser {
public:
    Parser(mpool::PoolRef pool, std::string_view in) : pool_(pool), in_(in) {}

    Node *document() {
        Node *root = value();
        skip_space();
        return root && at_ == in_.size() ? root : nullptr;
    }

private:
    mpool::PoolRef pool_;
    std::string_view in_;
    size_t at_ = 0;

    Node *make(Node::Kind kind) {
        Node *n = pool_.make<Node>(pool_.resource()); // ~Node runs when the pool goes
        n->kind = kind;
        return n;
    }
    void skip_space() {
        while (at_ < in_.size() && std::strchr(" \t\r\n", in_[at_])) ++at_;
    }
    bool eat(char c) {
        skip_space();
        if (at_ < in_.size() && in_[at_] == c) return ++at_, true;
        return false;
    }
    bool word(std::string_view w) {
        if (in_.substr(at_, w.size()) != w) return false;
        at_ += w.size();
        return true;
    }
    bool string_into(std::pmr::string &out) {
        if (!eat('"')) return false;
        for (; at_ < in_.size() && in_[at_] != '"'; ++at_) {
            char c = in_[at_];
            if (c == '\\' && ++at_ < in_.size()) c = in_[at_] == 'n' ? '\n' : in_[at_];
            out += c;
        }
        return at_ < in_.size() && in_[at_++] == '"';
    }
    Node *value() {
        skip_space();
        if (at_ >= in_.size()) return nullptr;
        char c = in_[at_];
        if (c == '{') return object();
        if (c == '[') return array();
        if (c == '"') {
            Node *n = make(Node::string);
            return string_into(n->text) ? n : nullptr;
        }
        if (word("null")) return make(Node::null);
        if (word("true") || word("false")) {
            Node *n = make(Node::boolean);
            n->flag = c == 't';
            return n;
        }
        std::string number(in_.substr(at_, in_.find_first_not_of("+-.0123456789eE", at_) - at_));
        char *end = nullptr;
        double v = std::strtod(number.c_str(), &end);
        if (number.empty() || *end) return nullptr;
        at_ += number.size();
        Node *n = make(Node::number);
        n->value = v;
        return n;
    }
    Node *array() {
        Node *n = make(Node::array);
        eat('[');
        if (eat(']')) return n;
        do {
            Node *item = value();
            if (!item) return nullptr;
            n->items.push_back(item);
        } while (eat(','));
        return eat(']') ? n : nullptr;
    }
    Node *object() {
        Node *n = make(Node::object);
        eat('{');
        if (eat('}')) return n;
        do {
            std::pmr::string key(pool_.resource());
            if (!string_into(key) || !eat(':')) return nullptr;
            Node *member = value();
            if (!member) return nullptr;
            n->members.emplace(std::move(key), member);
        } while (eat(','));
        return eat('}') ? n : nullptr;
    }
};

void count(const Node *n, std::map<std::string, int> &kinds) {
    static const char *const names[] = {"null", "boolean", "number", "string", "array", "object"};
    ++kinds[names[n->kind]];
    for (const Node *item : n->items) count(item, kinds);
    for (const auto &[key, member] : n->members) count(member, kinds);
}

const char *k_document = R"({"service": "catalogue", "port": 8080, "tls": true,
  "routes": [{"path": "/books", "methods": ["GET", "POST"]}, {"path": "/authors", "methods": ["GET"]}],
  "limits": {"body": 1048576, "rate": 12.5, "burst": null}})";

} // namespace

int main(int argc, char **argv) {
    std::string text = k_document;
    if (argc > 1) {
        std::ifstream file(argv[1]);
        std::stringstream contents;
        contents << file.rdbuf();
        if (!file) return std::perror(argv[1]), 1;
        text = contents.str();
    }
    mpool::Pool pool; // the whole document lives here
    pool.set_tag("document");
    Node *root = Parser(pool, text).document();
    if (!root) return std::fprintf(stderr, "not valid JSON\n"), 1;

    std::map<std::string, int> kinds;
    count(root, kinds);
    for (const auto &[kind, n] : kinds) std::printf("%-8s %d\n", kind.c_str(), n);
    if (root->kind == Node::object && root->members.count("routes"))
        for (const Node *route : root->members.at("routes")->items)
            std::printf("route %s\n", route->members.at("path")->text.c_str());
    mpool::Stats s = pool.stats();
    std::printf("%zu bytes allocated in %zu blocks for a %zu-byte document\n", s.bytes_allocated, s.blocks,
                text.size());
    return 0; // the pool, and every node, string and container in it, goes here
}
