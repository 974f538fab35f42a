using System.Diagnostics;
using System.Text;
using System.Text.Json;
using SessionBuddy.LocalSystem.Model;

namespace SessionBuddy.Clients.Tests;

/// <summary>
/// The MCP clients users run (official TypeScript SDK, Inspector CLI, conformance suite), on Node 22
/// with the npm packages pinned in node/package-lock.json, which eng/install-node.sh installs.
/// </summary>
internal static class NodeClients
{
    public static string Directory => Path.Combine(BuildMetadata.RepositoryRoot, "tests", "SessionBuddy.Clients.Tests", "node");

    public static string Node => Path.Combine(Directory, ".runtime", "bin", "node");

    public static string Package(string name) => Path.Combine(Directory, "node_modules", name);

    /// <summary>Runs eng/install-node.sh (idempotent: a no-op when everything is in place).</summary>
    public static async Task InstallAsync()
    {
        var install = await RunAsync("bash", [Path.Combine(BuildMetadata.RepositoryRoot, "eng", "install-node.sh")],
            BuildMetadata.RepositoryRoot, TimeSpan.FromMinutes(5));
        if (install.ExitCode != 0)
        {
            throw new InvalidOperationException($"eng/install-node.sh failed:{Environment.NewLine}{install}");
        }
    }

    /// <summary>Runs one of node/journeys/*.mjs against the MCP endpoint.</summary>
    public static Task<NodeRun> JourneyAsync(string script, Uri mcp, TimeSpan? timeout = null) =>
        RunAsync(Node, [Path.Combine(Directory, "journeys", script), mcp.ToString()], Directory, timeout ?? TimeSpan.FromMinutes(2));

    /// <summary>Runs a program with Node 22 first on PATH (tools that spawn "node" get it too).</summary>
    public static async Task<NodeRun> RunAsync(string program, IEnumerable<string> args, string workingDirectory, TimeSpan timeout)
    {
        var psi = new ProcessStartInfo(program)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in args)
        {
            psi.ArgumentList.Add(arg);
        }
        psi.Environment["PATH"] = Path.GetDirectoryName(Node) + Path.PathSeparator + Environment.GetEnvironmentVariable("PATH");
        psi.Environment["NO_COLOR"] = "1";
        psi.Environment["FORCE_COLOR"] = "0";

        using var process = Process.Start(psi)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
            return new NodeRun(-1, await stdout, $"timed out after {timeout.TotalSeconds:0} s{Environment.NewLine}{await stderr}");
        }
        return new NodeRun(process.ExitCode, await stdout, await stderr);
    }
}

/// <summary>A finished client run: exit code and what it printed.</summary>
internal sealed record NodeRun(int ExitCode, string StdOut, string StdErr)
{
    /// <summary>The JSON document the run printed; fails the test (with the run's output) when it did not succeed.</summary>
    public JsonElement Json()
    {
        Assert.That(ExitCode, Is.EqualTo(0), ToString);
        try
        {
            return JsonDocument.Parse(StdOut).RootElement.Clone();
        }
        catch (JsonException ex)
        {
            Assert.Fail($"not JSON ({ex.Message}):{Environment.NewLine}{this}");
            throw;
        }
    }

    public override string ToString()
    {
        var text = new StringBuilder().Append("exit code ").Append(ExitCode).AppendLine();
        text.AppendLine("--- stdout").AppendLine(Tail(StdOut));
        text.AppendLine("--- stderr").AppendLine(Tail(StdErr));
        return text.ToString();
    }

    private static string Tail(string text) => text.Length <= 6000 ? text : "..." + text[^6000..];
}
