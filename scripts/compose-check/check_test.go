package main

import (
	"bytes"
	"regexp"
	"strings"
	"testing"
)

const shipped = "../../docker-compose.yml"

var passwords = []string{"MINIO_ROOT_PASSWORD=sentinel-minio-password", "POSTGRES_PASSWORD=sentinel-postgres-password"}

func runCheck(t *testing.T, file string, environ []string) (int, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := run([]string{file}, environ, &out, &errOut)
	return code, out.String() + errOut.String()
}

func TestShippedFilePassesAndBindsEveryPortToLoopback(t *testing.T) {
	code, out := runCheck(t, shipped, passwords)
	if code != 0 {
		t.Fatalf("compose-check on the shipped file: exit %d\n%s", code, out)
	}
	p, err := loadProject(shipped, passwords)
	if err != nil {
		t.Fatal(err)
	}
	published := 0
	for name, svc := range p.Services {
		for _, port := range svc.Ports {
			published++
			if port.HostIP != "127.0.0.1" {
				t.Errorf("service %s: port %d on %q, want 127.0.0.1", name, port.Target, port.HostIP)
			}
		}
	}
	if published != 4 { // 7233, 8233, 9000, 9001
		t.Errorf("%d published ports, want 4", published)
	}
}

// "Unless configured": the loader takes the addresses from BGBIAS_BIND / BGBIAS_UI_BIND, and the
// check asserts the default even when the caller has them set.
func TestBindSettingsMoveThePortsAndTheCheckIgnoresThem(t *testing.T) {
	env := append([]string{"BGBIAS_BIND=10.0.0.5", "BGBIAS_UI_BIND=10.0.0.6"}, passwords...)
	p, err := loadProject(shipped, env)
	if err != nil {
		t.Fatal(err)
	}
	got := map[uint32]string{}
	for _, svc := range p.Services {
		for _, port := range svc.Ports {
			got[port.Target] = port.HostIP
		}
	}
	want := map[uint32]string{7233: "10.0.0.5", 9000: "10.0.0.5", 8080: "10.0.0.6", 9001: "10.0.0.6"}
	for target, ip := range want {
		if got[target] != ip {
			t.Errorf("container port %d on %q, want %q", target, got[target], ip)
		}
	}
	if findings := openByDefault(p); len(findings) != 4 {
		t.Errorf("openByDefault on a configured project: %v, want the 4 configured ports", findings)
	}
	if code, out := runCheck(t, shipped, env); code != 0 {
		t.Errorf("the check must assert the default whatever the caller set: exit %d\n%s", code, out)
	}
}

func TestPortOnAllInterfacesFails(t *testing.T) {
	code, out := runCheck(t, "testdata/all-interfaces.yml", nil)
	if code != 1 {
		t.Fatalf("exit %d, want 1\n%s", code, out)
	}
	if !strings.Contains(out, "service web: host port 8080 -> 80/tcp on all interfaces") {
		t.Errorf("the offending port is not named:\n%s", out)
	}
	if strings.Contains(out, "service api") {
		t.Errorf("a port bound to ${BGBIAS_BIND:-127.0.0.1} was reported:\n%s", out)
	}
}

func TestRandomHostPortWildcardDefaultAndHostNetworkFail(t *testing.T) {
	code, out := runCheck(t, "testdata/more-ways-out.yml", nil)
	if code != 1 {
		t.Fatalf("exit %d, want 1\n%s", code, out)
	}
	for _, want := range []string{
		"service agent: network_mode host",
		"service api: host port 9000 -> 9000/tcp on 0.0.0.0",
		"service db: host port (random) -> 5432/tcp on all interfaces",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("missing %q in:\n%s", want, out)
		}
	}
}

// Every password comes from the environment (no literal left in the file), and compose refuses
// to start without it.
func TestPasswordsComeFromTheEnvironment(t *testing.T) {
	p, err := loadProject(shipped, passwords)
	if err != nil {
		t.Fatal(err)
	}
	secretName := regexp.MustCompile(`(?i)(PASSWORD|PWD|SECRET)`)
	sentinels := map[string]bool{"sentinel-minio-password": true, "sentinel-postgres-password": true}
	seen := 0
	for name, svc := range p.Services {
		for key, value := range svc.Environment {
			if !secretName.MatchString(key) || value == nil || strings.HasPrefix(*value, "$") {
				continue // "$${MINIO_ROOT_PASSWORD}": read inside the container from the line above
			}
			seen++
			if !sentinels[*value] {
				t.Errorf("service %s: %s=%q does not come from the environment", name, key, *value)
			}
		}
	}
	if seen < 5 { // postgres, temporal, minio, create-bucket, workers' S3 secret
		t.Errorf("only %d secret settings found", seen)
	}
	for i, kv := range passwords {
		name := strings.SplitN(kv, "=", 2)[0]
		rest := append(append([]string{}, passwords[:i]...), passwords[i+1:]...)
		for _, env := range [][]string{rest, append(rest, name+"=")} {
			if _, err := loadProject(shipped, env); err == nil || !strings.Contains(err.Error(), "required variable "+name+" is missing a value") {
				t.Errorf("without %s (env %v): err = %v, want it named", name, env, err)
			}
		}
	}
}
