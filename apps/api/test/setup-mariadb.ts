process.env.PAIRCHAT_TEST_DB = 'mariadb';
