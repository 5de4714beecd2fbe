/* server_loop.c - the pattern pools were made for: a pool per connection
 * and a pool per request, cleanups that close files, and a report of the
 * pool tree.
 *
 * The "network" is a script of connections and requests (built in, or read
 * from a file given as the argument: one request per line, a blank line ends
 * a connection), so the program runs anywhere; the pools are what a real
 * server would make:
 *
 *   server pool (lives as long as the program)
 *   +- connection pool (one per client: its log file, its counters)
 *      +- request pool (one per request: parsed line, headers, response)
 *
 * Each connection writes an access log to a temporary file; the file is
 * closed by a cleanup when the connection's pool is destroyed, whatever
 * path the code takes out of the loop. At the end, mpool_report() prints
 * the tree while two connections are still open. */
#include <stdio.h>
#include <string.h>

#include "mpool/mpool.h"

static const char *const k_script[] = {
    "GET /index.html", "GET /style.css", "", /* connection 1 */
    "GET /api/users?id=7", "POST /api/users", "GET /missing", "", /* connection 2 */
    "GET /index.html", /* connection 3: still open at the end */
};

struct connection {
    mpool_t *pool;
    FILE *log;
    unsigned requests;
};

static void close_log(void *file) { fclose(file); }

/* A new connection: its own pool (tagged, so the report can name it) and a
 * log file that the pool closes. NULL when either cannot be had. */
static struct connection *accept_connection(mpool_t *server, unsigned number) {
    char tag[32];
    snprintf(tag, sizeof tag, "connection-%u", number);
    mpool_options_t options = {0};
    options.tag = tag;
    mpool_t *pool = mpool_create_ex(server, &options);
    if (!pool) return NULL;
    struct connection *c = mpool_calloc(pool, 1, sizeof *c);
    FILE *log = tmpfile();
    if (!c || !log || mpool_cleanup_register(pool, log, close_log) != 0) {
        if (log) fclose(log);
        mpool_destroy(pool);
        return NULL;
    }
    c->pool = pool;
    c->log = log;
    return c;
}

/* One request: everything it needs lives in a child of the connection's
 * pool, destroyed when the response is out. Returns the status code. */
static int serve(struct connection *c, const char *line) {
    mpool_t *request = mpool_create(c->pool);
    if (!request) return 503;
    mpool_set_tag(request, mpool_printf(request, "request-%u", c->requests + 1));
    char method[8] = "", path[256] = "";
    int status = sscanf(line, "%7s %255s", method, path) == 2 ? 200 : 400;
    if (status == 200 && strcmp(path, "/missing") == 0) status = 404;
    if (status == 200 && strcmp(method, "POST") == 0) status = 201;
    const char *body = mpool_printf(request, "<h1>%d</h1><p>%s %s</p>", status, method, path);
    const char *reason = status == 404 ? "404 Not Found" : status == 201 ? "201 Created" : "200 OK";
    const char *response =
        mpool_strcat(request, "HTTP/1.1 ", reason, "\r\nContent-Type: text/html\r\n\r\n", body, NULL);
    if (response) fprintf(c->log, "%s %s -> %d (%zu bytes)\n", method, path, status, strlen(response));
    ++c->requests;
    mpool_destroy(request); /* the request's memory, all at once */
    return status;
}

int main(int argc, char **argv) {
    mpool_options_t options = {0};
    options.tag = "server";
    mpool_t *server = mpool_create_ex(NULL, &options);
    if (!server) return 1;
    FILE *script = argc > 1 ? fopen(argv[1], "r") : NULL;
    if (argc > 1 && !script) {
        perror(argv[1]);
        return 1;
    }

    unsigned connections = 0, served = 0;
    struct connection *current = NULL;
    char buffer[512];
    for (size_t i = 0;; ++i) {
        const char *line;
        if (script) {
            line = fgets(buffer, sizeof buffer, script);
            if (line) buffer[strcspn(buffer, "\r\n")] = '\0';
        } else {
            line = i < sizeof k_script / sizeof *k_script ? k_script[i] : NULL;
        }
        if (!line) break;
        if (!*line) { /* the client hung up: its pool, log file and all */
            if (current) mpool_destroy(current->pool);
            current = NULL;
            continue;
        }
        if (!current) {
            if (!(current = accept_connection(server, ++connections))) return 1;
        }
        int status = serve(current, line);
        printf("connection %u: %-22s -> %d\n", connections, line, status);
        ++served;
    }
    if (script) fclose(script);

    /* One more connection, in the middle of a TLS handshake: its session
     * state in a pool of its own, under the connection's. */
    struct connection *handshake = accept_connection(server, ++connections);
    if (handshake) {
        mpool_options_t tls = {0};
        tls.tag = "tls-session";
        mpool_t *session = mpool_create_ex(handshake->pool, &tls);
        if (session) mpool_alloc(session, 1200);
    }

    printf("\n%u requests served; the pool tree now:\n", served);
    if (mpool_report(server, stdout, 0) != 0) return 1;
    mpool_destroy(server); /* closes the open connections' log files */
    return 0;
}
