using SessionBuddy.LocalSystem.Model;

namespace SessionBuddy.LocalSystem.Hosting;

/// <summary>One replica of a project of the model running as <c>dotnet &lt;assembly&gt;</c> on its own loopback port.</summary>
/// <param name="name">The replica's name (logs, errors): the project's, or <c>name-2</c>, ... for further replicas.</param>
public sealed class ProjectProcess(ProjectResource resource, int port, string name) : IDisposable
{
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(5) };
    private ChildProcess? _process;

    public ProjectResource Resource { get; } = resource;

    public string Name { get; } = name;

    public int Port { get; } = port;

    public Uri Endpoint => new($"http://127.0.0.1:{Port}");

    public ChildProcess? Process => _process;

    public bool IsRunning => _process is { HasExited: false };

    public void Start(string dotnet, IReadOnlyDictionary<string, string> environment, string logDirectory, string owner, Action<string>? echo)
    {
        if (IsRunning)
        {
            throw new InvalidOperationException($"'{Name}' is already running (pid {_process!.Id}).");
        }
        _process?.Dispose();
        var env = new Dictionary<string, string>(environment) { ["ASPNETCORE_URLS"] = Endpoint.ToString().TrimEnd('/') };
        _process = ChildProcess.Start(new ChildProcessSpec(Name, dotnet, [Resource.Location.AssemblyPath], env,
            Path.Combine(logDirectory, Name + ".log"), owner, echo)
        {
            WorkingDirectory = Resource.Location.ProjectDirectory,
        });
    }

    /// <summary>Polls <c>/health</c> until it answers 200; fails with the log tail if the process exits or time runs out.</summary>
    public async Task WaitHealthyAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        var process = _process ?? throw new InvalidOperationException($"'{Name}' was not started.");
        var deadline = DateTime.UtcNow + timeout;
        var last = "no answer";
        while (true)
        {
            if (process.HasExited)
            {
                throw new ResourceStartException(Name, $"exited with code {process.ExitCode} before it was healthy", process.Tail());
            }
            try
            {
                using var response = await Http.GetAsync(new Uri(Endpoint, "/health"), cancellationToken);
                if (response.IsSuccessStatusCode)
                {
                    return;
                }
                last = $"{(int)response.StatusCode}: {await response.Content.ReadAsStringAsync(cancellationToken)}";
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
            {
                last = ex.Message;
            }
            if (DateTime.UtcNow > deadline)
            {
                throw new ResourceStartException(Name, $"was not healthy within {timeout.TotalSeconds:0} s (last /health: {last})", process.Tail());
            }
            await Task.Delay(200, cancellationToken);
        }
    }

    /// <summary>Graceful stop (SIGTERM lets the host drain), killing the tree after the grace period.</summary>
    public Task StopAsync() => _process?.StopAsync(ChildProcess.SigTerm, TimeSpan.FromSeconds(10)) ?? Task.CompletedTask;

    /// <summary>Kills the whole process tree at once, like a crash.</summary>
    public async Task KillAsync()
    {
        if (_process is null)
        {
            return;
        }
        _process.KillTree();
        await _process.WaitForExitAsync(TimeSpan.FromSeconds(10));
    }

    public void Dispose() => _process?.Dispose();
}

/// <summary>A resource that did not become ready; the message names it and carries the tail of its log.</summary>
public sealed class ResourceStartException(string resource, string problem, string logTail)
    : Exception($"Resource '{resource}' {problem}.{Environment.NewLine}Last log lines of '{resource}':{Environment.NewLine}{logTail}")
{
    public string Resource { get; } = resource;
}
