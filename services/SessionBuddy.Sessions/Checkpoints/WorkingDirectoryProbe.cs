using System.Diagnostics;

namespace SessionBuddy.Sessions.Checkpoints;

/// <summary>Reads the quality signals of a working directory: git state (via <c>git status --porcelain</c>), tests, docs.</summary>
public sealed class WorkingDirectoryProbe
{
    private static readonly TimeSpan GitTimeout = TimeSpan.FromSeconds(10);
    private static readonly string[] TestDirectories = ["test", "tests", "spec", "specs", "__tests__"];
    private static readonly string[] DocFiles = ["changelog", "contributing"];

    public async Task<WorkingDirectorySignals> ProbeAsync(string? workingDirectory, CancellationToken ct)
    {
        if (string.IsNullOrEmpty(workingDirectory) || !Directory.Exists(workingDirectory))
        {
            return WorkingDirectorySignals.Missing;
        }
        var isGit = Directory.Exists(Path.Combine(workingDirectory, ".git")) || File.Exists(Path.Combine(workingDirectory, ".git"));
        var changes = isGit ? await GitChangesAsync(workingDirectory, ct) : null;
        var top = SafeEntries(workingDirectory).ToList();
        var hasReadme = top.Any(e => File.Exists(e) && Path.GetFileName(e).StartsWith("readme", StringComparison.OrdinalIgnoreCase));
        var hasDocs = top.Any(e => Directory.Exists(e) && Path.GetFileName(e).ToLowerInvariant() is "docs" or "doc")
            || top.Any(e => File.Exists(e) && DocFiles.Any(d => Path.GetFileName(e).StartsWith(d, StringComparison.OrdinalIgnoreCase)));
        var secondLevel = top.Where(Directory.Exists).Where(d => Path.GetFileName(d) != ".git").SelectMany(SafeEntries);
        var hasTests = top.Concat(secondLevel).Any(IsTest);
        return new WorkingDirectorySignals(true, isGit, changes, hasTests, hasReadme, hasDocs);
    }

    private static bool IsTest(string path)
    {
        var name = Path.GetFileName(path).ToLowerInvariant();
        return TestDirectories.Contains(name) || name.Contains("test", StringComparison.Ordinal);
    }

    private static IEnumerable<string> SafeEntries(string directory)
    {
        try
        {
            return Directory.EnumerateFileSystemEntries(directory).Take(2000).ToList();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return [];
        }
    }

    private static async Task<int?> GitChangesAsync(string directory, CancellationToken ct)
    {
        var psi = new ProcessStartInfo("git") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in new[] { "-C", directory, "status", "--porcelain" })
        {
            psi.ArgumentList.Add(arg);
        }
        try
        {
            using var process = Process.Start(psi)!;
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(GitTimeout);
            var output = process.StandardOutput.ReadToEndAsync(timeout.Token);
            _ = process.StandardError.ReadToEndAsync(timeout.Token);
            try
            {
                await process.WaitForExitAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
                throw;
            }
            return process.ExitCode == 0 ? (await output).Split('\n', StringSplitOptions.RemoveEmptyEntries).Length : null;
        }
        catch (Exception ex) when (ex is System.ComponentModel.Win32Exception or OperationCanceledException && !ct.IsCancellationRequested)
        {
            return null;
        }
    }
}
