namespace SessionBuddy.ServiceDefaults.Data;

/// <summary>Times as PostgreSQL stores them.</summary>
public static class DatabaseTime
{
    /// <summary>
    /// Now, cut to whole microseconds (timestamptz's resolution): a row and the event describing it, both written
    /// with this value, carry the same instant.
    /// </summary>
    public static DateTimeOffset Now()
    {
        var now = DateTimeOffset.UtcNow;
        return now.AddTicks(-(now.Ticks % 10));
    }
}
