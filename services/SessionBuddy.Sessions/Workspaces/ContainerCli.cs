using System.Diagnostics;

namespace SessionBuddy.Sessions.Workspaces;

public sealed record CliResult(int ExitCode, string Output, string Error);

/// <summary>Runs the docker-compatible CLI (docker or podman) with an argument list (never a shell) and a time limit.</summary>
public sealed class ContainerCli(string executable, TimeSpan timeout)
{
    public string Executable => executable;

    public async Task<CliResult> RunAsync(IEnumerable<string> arguments, CancellationToken ct)
    {
        var psi = new ProcessStartInfo(executable)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            psi.ArgumentList.Add(argument);
        }
        Process process;
        try
        {
            process = Process.Start(psi)!;
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            return new CliResult(127, string.Empty, $"cannot run {executable}: {ex.Message}");
        }
        using (process)
        {
            using var limit = CancellationTokenSource.CreateLinkedTokenSource(ct);
            limit.CancelAfter(timeout);
            var output = process.StandardOutput.ReadToEndAsync(limit.Token);
            var error = process.StandardError.ReadToEndAsync(limit.Token);
            try
            {
                await process.WaitForExitAsync(limit.Token);
                return new CliResult(process.ExitCode, await output, await error);
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                process.Kill(entireProcessTree: true);
                return new CliResult(124, string.Empty, $"{executable} did not finish within {timeout.TotalSeconds:0}s");
            }
        }
    }
}
