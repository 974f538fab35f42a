using System.Globalization;
using SessionBuddy.Messaging;

namespace SessionBuddy.Analytics.Reports;

/// <summary>Checks of report arguments; a refusal names the snake_case argument and the accepted range.</summary>
public static class ReportArguments
{
    public const double MaxHours = 24 * 366;
    public const int MaxDays = 366;
    public const int MaxMinutes = 24 * 60;
    public const int MaxSessionRows = 100;
    public const int MaxExportRows = 10_000;
    public const int MaxQueryRows = 1_000;

    public static double Hours(double hours, string argument = "hours") =>
        double.IsFinite(hours) && hours > 0 && hours <= MaxHours
            ? hours
            : throw RequestRejectedException.InvalidArgument(argument, $"must be more than 0 and at most {MaxHours} (hours); got {hours}");

    public static int Range(long value, string argument, int min, int max, string unit) =>
        value >= min && value <= max
            ? (int)value
            : throw RequestRejectedException.InvalidArgument(argument, $"must be between {min} and {max} ({unit}); got {value}");

    public static DateTimeOffset? Date(string? value, string argument)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            return null;
        }
        return DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var at)
            ? at
            : throw RequestRejectedException.InvalidArgument(argument, $"'{value}' is not an ISO 8601 date-time (e.g. 2026-12-04T10:00:00Z)");
    }

    public static (DateTimeOffset? Since, DateTimeOffset? Until) TimeRange(string? since, string? until)
    {
        var (from, to) = (Date(since, "since"), Date(until, "until"));
        return from is not null && to is not null && to <= from
            ? throw RequestRejectedException.InvalidArgument("until", "must be later than since")
            : (from, to);
    }

    public static string OneOf(string? value, string argument, IReadOnlyList<string> allowed, string? fallback = null) =>
        string.IsNullOrWhiteSpace(value) && fallback is not null ? fallback
        : value is not null && allowed.Contains(value) ? value
        : throw RequestRejectedException.InvalidArgument(argument, $"'{value}' is not one of {string.Join(", ", allowed)}");

    public static string? Project(string? project) => string.IsNullOrWhiteSpace(project) ? null : project.Trim();
}
