namespace SessionBuddy.Bench;

public interface IBenchCommand
{
    string Name { get; }

    string Description { get; }

    Task<int> RunAsync(string[] args);
}

/// <summary>--name value options and --name flags.</summary>
public static class BenchArguments
{
    public static string? Option(this string[] args, string name)
    {
        var index = Array.IndexOf(args, "--" + name);
        return index >= 0 && index + 1 < args.Length ? args[index + 1] : null;
    }

    public static bool Flag(this string[] args, string name) => args.Contains("--" + name);
}
