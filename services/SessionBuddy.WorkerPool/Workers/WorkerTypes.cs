using Microsoft.Extensions.Options;

namespace SessionBuddy.WorkerPool.Workers;

public static class OutputFormats
{
    public const string Text = "text";
    public const string StreamJson = "stream-json";
}

/// <summary>A resolved worker type: built-in defaults with configuration laid over them.</summary>
public sealed record WorkerType(
    string Name,
    string Executable,
    IReadOnlyList<string> Arguments,
    string OutputFormat,
    IReadOnlyList<string> CompletionMarkers,
    IReadOnlyDictionary<string, string> Environment,
    IReadOnlyList<string> PassEnvironment,
    string? Image);

/// <summary>The worker types this service knows: built-ins plus those in <c>WorkerPool:WorkerTypes</c>.</summary>
public sealed class WorkerTypes
{
    private static readonly Dictionary<string, WorkerTypeOptions> BuiltIns = new(StringComparer.Ordinal)
    {
        // The shell type asks for a shell: the task is a shell command line.
        ["shell"] = new() { Executable = "/bin/sh", Arguments = ["-c", "{prompt}"], OutputFormat = OutputFormats.Text, PassEnvironment = ["HOME", "LANG"] },
        ["terminal-claude"] = new()
        {
            Executable = "claude",
            Arguments = ["-p", "{prompt}", "--output-format", "stream-json", "--verbose"],
            OutputFormat = OutputFormats.StreamJson,
            PassEnvironment = ["HOME", "LANG", "ANTHROPIC_API_KEY", "ANTHROPIC_BASE_URL"],
        },
        ["terminal-qwen"] = new()
        {
            Executable = "qwen",
            Arguments = ["-p", "{prompt}", "-o", "stream-json"],
            OutputFormat = OutputFormats.StreamJson,
            PassEnvironment = ["HOME", "LANG", "OPENAI_API_KEY", "OPENAI_BASE_URL", "OPENAI_MODEL"],
        },
        ["container"] = new()
        {
            Executable = "docker",
            Arguments = ["run", "--rm", "-v", "{workspace}:/workspace", "-w", "/workspace", "{image}", "sh", "-c", "{prompt}"],
            OutputFormat = OutputFormats.Text,
            Image = "debian:bookworm-slim",
            PassEnvironment = ["HOME", "DOCKER_HOST"],
        },
    };

    private readonly Dictionary<string, WorkerType> _types;

    public WorkerTypes(IOptions<WorkerPoolOptions> options)
    {
        _types = new Dictionary<string, WorkerType>(StringComparer.Ordinal);
        var names = BuiltIns.Keys.Concat(options.Value.WorkerTypes.Keys).Distinct();
        foreach (var name in names)
        {
            BuiltIns.TryGetValue(name, out var builtIn);
            options.Value.WorkerTypes.TryGetValue(name, out var configured);
            var executable = configured?.Executable ?? builtIn?.Executable;
            if (string.IsNullOrWhiteSpace(executable))
            {
                throw new InvalidOperationException($"WorkerPool:WorkerTypes:{name}:Executable is required for a worker type that is not built in.");
            }
            _types[name] = new WorkerType(
                name,
                executable,
                configured?.Arguments ?? builtIn?.Arguments ?? ["{prompt}"],
                configured?.OutputFormat ?? builtIn?.OutputFormat ?? OutputFormats.Text,
                configured?.CompletionMarkers ?? builtIn?.CompletionMarkers ?? [],
                configured?.Environment ?? builtIn?.Environment ?? new Dictionary<string, string>(),
                configured?.PassEnvironment ?? builtIn?.PassEnvironment ?? [],
                configured?.Image ?? builtIn?.Image);
            if (_types[name].OutputFormat is not (OutputFormats.Text or OutputFormats.StreamJson))
            {
                throw new InvalidOperationException($"WorkerPool:WorkerTypes:{name}:OutputFormat must be text or stream-json.");
            }
        }
    }

    public IReadOnlyCollection<string> Names => _types.Keys;

    public WorkerType? Find(string name) => _types.GetValueOrDefault(name);
}
