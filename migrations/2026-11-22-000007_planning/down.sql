DROP TABLE planning_work;
