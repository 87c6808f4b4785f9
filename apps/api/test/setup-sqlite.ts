process.env.PAIRCHAT_TEST_DB = 'sqlite';
