using System.Text.Json;

namespace SessionBuddy.Clients.Tests;

/// <summary>The official MCP conformance scenarios that fit a real server (@modelcontextprotocol/conformance).</summary>
public sealed class ConformanceTests
{
    [TestCase("server-initialize")]
    [TestCase("ping")]
    [TestCase("tools-list")]
    [TestCase("logging-set-level")]
    [TestCase("dns-rebinding-protection")]
    [TestCase("server-sse-multiple-streams")]
    [TestCase("resources-list")]
    [TestCase("prompts-list")]
    public async Task ScenarioPasses(string scenario)
    {
        var results = Directory.CreateTempSubdirectory("sessionbuddy-conformance-");
        try
        {
            var run = await NodeClients.RunAsync(NodeClients.Node,
                [Path.Combine(NodeClients.Package("@modelcontextprotocol/conformance"), "dist", "index.js"),
                 "server", "--url", Suite.App.McpUri.ToString(), "--scenario", scenario, "--output-dir", results.FullName],
                NodeClients.Directory, TimeSpan.FromMinutes(2));

            var checks = Directory.EnumerateFiles(results.FullName, "checks.json", SearchOption.AllDirectories)
                .SelectMany(f => JsonDocument.Parse(File.ReadAllText(f)).RootElement.Clone().EnumerateArray()).ToList();
            var failed = checks.Where(c => c.GetProperty("status").GetString() is not ("SUCCESS" or "INFO"))
                .Select(c => $"{c.GetProperty("id").GetString()}: {c.GetProperty("status").GetString()} "
                    + (c.TryGetProperty("errorMessage", out var e) ? e.GetString() : "")).ToList();
            Assert.Multiple(() =>
            {
                Assert.That(run.ExitCode, Is.EqualTo(0), run.ToString);
                Assert.That(checks, Is.Not.Empty, $"the scenario recorded no check{Environment.NewLine}{run}");
                Assert.That(failed, Is.Empty, string.Join(Environment.NewLine, failed));
            });
        }
        finally
        {
            results.Delete(recursive: true);
        }
    }
}
