// The peer of eds-agent's benchmark (bench/peer-comparison.ts): go-control-plane serving the
// same Clusters and ClusterLoadAssignments as the agent, from a JSON file the benchmark
// writes, over gRPC ADS (state of the world and delta) and its HTTP gateway for REST polls.
// Its SnapshotCache is used as go-control-plane's own examples use it: one snapshot for every
// node, a new version per change.
//
//	go build -o peer . && ./peer -snapshot resources.json
//
// It prints one JSON line with its ports once it listens. POST /bench/endpoints with a
// ClusterLoadAssignment (proto3 JSON) replaces that assignment in a new snapshot.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"strconv"
	"sync"

	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	endpointv3 "github.com/envoyproxy/go-control-plane/envoy/config/endpoint/v3"
	discoveryv3 "github.com/envoyproxy/go-control-plane/envoy/service/discovery/v3"
	"github.com/envoyproxy/go-control-plane/pkg/cache/types"
	cachev3 "github.com/envoyproxy/go-control-plane/pkg/cache/v3"
	resourcev3 "github.com/envoyproxy/go-control-plane/pkg/resource/v3"
	serverv3 "github.com/envoyproxy/go-control-plane/pkg/server/v3"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/encoding/protojson"
)

// The node every client is served as: the benchmark serves all clients the same resources.
const nodeKey = "bench"

type everyNode struct{}

func (everyNode) ID(*corev3.Node) string { return nodeKey }

// resourcesFile is what the benchmark writes: the agent's resources in proto3 JSON.
type resourcesFile struct {
	Clusters  []json.RawMessage `json:"clusters"`
	Endpoints []json.RawMessage `json:"endpoints"`
}

// store holds the current resources and publishes each change as a new snapshot.
type store struct {
	mu        sync.Mutex
	cache     cachev3.SnapshotCache
	version   int
	clusters  []types.Resource
	endpoints map[string]*endpointv3.ClusterLoadAssignment
	order     []string
}

func (s *store) publish() error {
	s.version++
	assignments := make([]types.Resource, 0, len(s.order))
	for _, name := range s.order {
		assignments = append(assignments, s.endpoints[name])
	}
	snapshot, err := cachev3.NewSnapshot(strconv.Itoa(s.version), map[resourcev3.Type][]types.Resource{
		resourcev3.ClusterType:  s.clusters,
		resourcev3.EndpointType: assignments,
	})
	if err != nil {
		return err
	}
	return s.cache.SetSnapshot(context.Background(), nodeKey, snapshot)
}

// replace swaps one assignment (or adds it) and publishes.
func (s *store) replace(assignment *endpointv3.ClusterLoadAssignment) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, known := s.endpoints[assignment.ClusterName]; !known {
		s.order = append(s.order, assignment.ClusterName)
	}
	s.endpoints[assignment.ClusterName] = assignment
	return s.publish()
}

func load(path string, cache cachev3.SnapshotCache) (*store, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var file resourcesFile
	if err := json.Unmarshal(raw, &file); err != nil {
		return nil, err
	}
	s := &store{cache: cache, endpoints: map[string]*endpointv3.ClusterLoadAssignment{}}
	for _, text := range file.Clusters {
		cluster := &clusterv3.Cluster{}
		if err := protojson.Unmarshal(text, cluster); err != nil {
			return nil, fmt.Errorf("cluster: %w", err)
		}
		s.clusters = append(s.clusters, cluster)
	}
	for _, text := range file.Endpoints {
		assignment := &endpointv3.ClusterLoadAssignment{}
		if err := protojson.Unmarshal(text, assignment); err != nil {
			return nil, fmt.Errorf("endpoints: %w", err)
		}
		s.order = append(s.order, assignment.ClusterName)
		s.endpoints[assignment.ClusterName] = assignment
	}
	return s, s.publish()
}

func listen(bind string, port int) (net.Listener, int) {
	listener, err := net.Listen("tcp", net.JoinHostPort(bind, strconv.Itoa(port)))
	if err != nil {
		log.Fatal(err)
	}
	return listener, listener.Addr().(*net.TCPAddr).Port
}

func main() {
	path := flag.String("snapshot", "resources.json", "the resources to serve (proto3 JSON)")
	bind := flag.String("bind", "127.0.0.1", "address to listen on")
	restPort := flag.Int("rest-port", 0, "port of the REST gateway (0: a free one)")
	grpcPort := flag.Int("grpc-port", 0, "port of the gRPC xDS server (0: a free one)")
	flag.Parse()

	// ads=false: with true, the cache holds an EDS response back until a request names every
	// assignment it has, and an Envoy names only the clusters it knows.
	cache := cachev3.NewSnapshotCache(false, everyNode{}, nil)
	resources, err := load(*path, cache)
	if err != nil {
		log.Fatal(err)
	}
	xds := serverv3.NewServer(context.Background(), cache, nil)

	// grpc-go allows 100 streams per connection by default; the agent allows 10,000 in all.
	grpcServer := grpc.NewServer(grpc.MaxConcurrentStreams(100_000))
	discoveryv3.RegisterAggregatedDiscoveryServiceServer(grpcServer, xds)
	grpcListener, grpcBound := listen(*bind, *grpcPort)
	go func() { log.Fatal(grpcServer.Serve(grpcListener)) }()

	gateway := &serverv3.HTTPGateway{Server: xds}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /bench/endpoints", func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		assignment := &endpointv3.ClusterLoadAssignment{}
		if err == nil {
			err = protojson.Unmarshal(body, assignment)
		}
		if err == nil {
			err = resources.replace(assignment)
		}
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
	// Everything else is the gateway, as go-control-plane's examples serve it.
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		body, status, err := gateway.ServeHTTP(r)
		if err != nil {
			http.Error(w, err.Error(), status)
			return
		}
		if body == nil {
			w.WriteHeader(status)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_, _ = w.Write(body)
	})
	restListener, restBound := listen(*bind, *restPort)
	fmt.Printf("{\"rest\":%d,\"grpc\":%d}\n", restBound, grpcBound)
	log.Fatal(http.Serve(restListener, mux))
}
