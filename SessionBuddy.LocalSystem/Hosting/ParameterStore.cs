using System.Security.Cryptography;
using System.Text.Json;

namespace SessionBuddy.LocalSystem.Hosting;

/// <summary>
/// Values of the model's parameters for local runs: <c>Parameters__&lt;name&gt;</c> from the environment
/// (Aspire's convention), else generated once and kept in <c>&lt;data&gt;/parameters.json</c> so a
/// persisted database keeps matching its password.
/// </summary>
public sealed class ParameterStore(string dataDirectory)
{
    private const string Alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    private readonly string _path = Path.Combine(dataDirectory, "parameters.json");
    private readonly object _gate = new();

    public string Get(string name, int generatedLength = 22)
    {
        if (Environment.GetEnvironmentVariable($"Parameters__{name}") is { Length: > 0 } fromEnvironment)
        {
            return fromEnvironment;
        }
        lock (_gate)
        {
            var stored = File.Exists(_path)
                ? JsonSerializer.Deserialize<Dictionary<string, string>>(File.ReadAllText(_path)) ?? []
                : [];
            if (!stored.TryGetValue(name, out var value))
            {
                value = RandomNumberGenerator.GetString(Alphabet, generatedLength);
                stored[name] = value;
                Directory.CreateDirectory(dataDirectory);
                File.WriteAllText(_path, JsonSerializer.Serialize(stored, new JsonSerializerOptions { WriteIndented = true }));
                if (!OperatingSystem.IsWindows())
                {
                    File.SetUnixFileMode(_path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
                }
            }
            return value;
        }
    }
}
