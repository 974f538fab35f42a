using System.Text.RegularExpressions;

namespace SessionBuddy.AppHost.Tests;

/// <summary>The AppHost as a user runs it: clear failure without prerequisites, full start, clean stop on Ctrl+C.</summary>
public partial class AppHostRunTests
{
    private string _dataDirectory = "";

    [SetUp]
    public void CreateDataDirectory() => _dataDirectory = Directory.CreateTempSubdirectory("sessionbuddy-apphost-").FullName;

    [TearDown]
    public void DeleteDataDirectory()
    {
        try
        {
            Directory.Delete(_dataDirectory, recursive: true);
        }
        catch (IOException)
        {
            // Left in /tmp.
        }
    }

    [Test]
    [CancelAfter(60_000)]
    public async Task Missing_postgres_binaries_name_the_tool_and_the_install_command()
    {
        var emptyBin = Directory.CreateDirectory(Path.Combine(_dataDirectory, "empty-bin")).FullName;
        using var apphost = AppHostProcess.Start(["--data-dir", Path.Combine(_dataDirectory, "data"), "--pg-bin-dir", emptyBin, "--gateway-port", "0"]);

        var exitCode = await apphost.WaitForExitAsync(TimeSpan.FromSeconds(30));

        var output = string.Join(Environment.NewLine, apphost.Output);
        Assert.Multiple(() =>
        {
            Assert.That(exitCode, Is.Not.Zero);
            Assert.That(output, Does.Contain("pg_ctl").And.Contain("initdb"));
            Assert.That(output, Does.Contain("eng/install-prereqs.sh"));
            Assert.That(output, Does.Not.Contain("   at "), "no stack trace");
            Assert.That(apphost.Survivors(), Is.Empty);
        });
    }

    [Test]
    [CancelAfter(60_000)]
    public async Task Missing_rabbitmq_names_it_and_the_install_command()
    {
        using var apphost = AppHostProcess.Start(["--data-dir", Path.Combine(_dataDirectory, "data"), "--rabbitmq-server", "/nonexistent/rabbitmq-server"]);

        var exitCode = await apphost.WaitForExitAsync(TimeSpan.FromSeconds(30));

        var output = string.Join(Environment.NewLine, apphost.Output);
        Assert.Multiple(() =>
        {
            Assert.That(exitCode, Is.Not.Zero);
            Assert.That(output, Does.Contain("rabbitmq-server").And.Contain("eng/install-prereqs.sh"));
            Assert.That(output, Does.Not.Contain("   at "), "no stack trace");
        });
    }

    [Test]
    [CancelAfter(240_000)]
    public async Task Starts_everything_healthy_and_Ctrl_C_leaves_no_process_behind()
    {
        // Dispose kills the AppHost and anything carrying its marker even when an assertion fails.
        using var apphost = AppHostProcess.Start(["--data-dir", _dataDirectory, "--gateway-port", "0", "--startup-timeout", "150"],
            onLine: TestContext.Progress.WriteLine);
        var mcpUrl = await WaitForMcpUrlAsync(apphost, TimeSpan.FromSeconds(180));
        Assert.That(mcpUrl.AbsolutePath, Is.EqualTo("/mcp"));

        var endpoints = apphost.Output.Select(l => HealthyLine().Match(l)).Where(m => m.Success)
            .ToDictionary(m => m.Groups[1].Value, m => new Uri(m.Groups[2].Value));
        Assert.That(endpoints.Keys, Is.EquivalentTo(new[] { "sessions", "memory", "analytics", "workerpool", "akoshasync", "gateway" }));
        Assert.That(endpoints["gateway"].Port, Is.EqualTo(mcpUrl.Port));

        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        foreach (var (name, endpoint) in endpoints)
        {
            using var response = await http.GetAsync(new Uri(endpoint, "/health"));
            Assert.That((int)response.StatusCode, Is.EqualTo(200), $"{name} /health: {await response.Content.ReadAsStringAsync()}");
        }
        var survivorsBeforeStop = apphost.Survivors();
        Assert.That(survivorsBeforeStop.Any(p => p.Contains("postgres")), "postgres runs as a marked child");
        Assert.That(survivorsBeforeStop.Any(p => p.Contains("beam.smp")), "rabbitmq runs as a marked child");
        Assert.That(survivorsBeforeStop.Any(p => p.Contains("epmd")), "the node's epmd runs as a marked child");

        Assert.That(SendSignal(apphost.Process.Id, 2), Is.Zero, "SIGINT sent");
        var exitCode = await apphost.WaitForExitAsync(TimeSpan.FromSeconds(60));

        Assert.That(exitCode, Is.Zero);
        Assert.That(apphost.Output, Has.Some.Contains("[apphost] stopped"));
        Assert.That(apphost.Survivors(), Is.Empty, "processes left after Ctrl+C");
    }

    private static async Task<Uri> WaitForMcpUrlAsync(AppHostProcess apphost, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            if (apphost.Output.Select(l => McpLine().Match(l)).FirstOrDefault(m => m.Success) is { } match)
            {
                return new Uri(match.Groups[1].Value);
            }
            if (apphost.Process.HasExited)
            {
                Assert.Fail($"AppHost exited with {apphost.Process.ExitCode} before printing the MCP URL:{Environment.NewLine}{string.Join(Environment.NewLine, apphost.Output.TakeLast(40))}");
            }
            await Task.Delay(200);
        }
        Assert.Fail("No MCP URL within the timeout.");
        return null!;
    }

    [GeneratedRegex(@"MCP endpoint: (http://\S+)")]
    private static partial Regex McpLine();

    [GeneratedRegex(@"^\[apphost\] (\S+)\s+healthy at (http://\S+)")]
    private static partial Regex HealthyLine();

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "kill")]
    private static extern int SendSignal(int pid, int signal);
}
