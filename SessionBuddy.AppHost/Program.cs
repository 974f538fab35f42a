using SessionBuddy.AppHost;

return await AppHostCommand.RunAsync(args);
