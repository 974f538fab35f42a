using SessionBuddy.Bench;

// One command per benchmark; each lives in its own file and registers here.
IBenchCommand[] commands = [new SearchQualityCommand(), new SearchSpeedCommand(), new ReembedCommand(), new GatewayCommand(), new WorkersCommand(), new AnalyticsCommand(), new AkoshaCommand()];

var command = args.Length > 0 ? commands.FirstOrDefault(c => c.Name == args[0]) : null;
if (command is null)
{
    Console.Error.WriteLine("usage: SessionBuddy.Bench <command> [options]");
    foreach (var c in commands)
    {
        Console.Error.WriteLine($"  {c.Name,-16} {c.Description}");
    }
    Console.Error.WriteLine($"PostgreSQL (with pgvector): --postgres \"Host=...;Username=...\" or {BenchDatabase.ServerVariable}; without either a private server is started.");
    return 2;
}
return await command.RunAsync(args[1..]);
