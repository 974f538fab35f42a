using SessionBuddy.Gateway.Mcp;

namespace SessionBuddy.Gateway.Tools;

/// <summary>Parsing of tool arguments that the JSON schema alone cannot express; errors name the argument.</summary>
public static class ToolArguments
{
    public const int DefaultPageSize = 50;

    public static Guid Id(string? value, string argument)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            throw new ToolArgumentException(argument, "is required (a UUID)");
        }
        return Guid.TryParse(value, out var id)
            ? id
            : throw new ToolArgumentException(argument, $"'{value}' is not a UUID");
    }
}
